import { ConflictError, NotFoundError, PermissionDeniedError } from '../../domain/errors.js';
import { requireSignedIn } from '../accounts/require.js';
import { recordAudit } from '../audit.js';
import type { ServiceContext } from '../context.js';
import { findEntity } from '../entities/find-entity.js';
import { lockEntity } from '../sharing/acl-lists.js';
import { lockTopLevelName, validateTopLevelName } from './names.js';

/**
 * Gives a registered name back: deletes the entity holding it, which must
 * have no revisions (push takes the same entity row lock, so none can
 * arrive in between). A reserved name goes back to being reserved.
 */
export async function unregisterName(ctx: ServiceContext, input: { name: string }): Promise<{ name: string }> {
  const actor = requireSignedIn(ctx);
  const name = validateTopLevelName(input.name);
  const access = await findEntity(ctx, { name });
  if (!access) throw new NotFoundError(`No registered name "${name}" (or you may not see it)`);
  if (!access.canManage('account-register-package')) {
    throw new PermissionDeniedError(`Only the owners of ${access.url} and store administrators may unregister "${name}"`);
  }
  const entityId = access.entity.id;
  const now = ctx.now();
  await ctx.prisma.$transaction(async (tx) => {
    // The name first, then the entity: the order registerName and promulgate take them in, so no deadlock.
    const topLevel = await lockTopLevelName(tx, name, now);
    if (topLevel.entityId !== entityId) throw new ConflictError(`The name "${name}" moved to another entity meanwhile; try again`);
    await lockEntity(tx, entityId);
    const revisions = await tx.revision.count({ where: { entityId } });
    if (revisions > 0) {
      throw new ConflictError(`${access.url} has ${revisions} revision${revisions === 1 ? '' : 's'}; only a name whose entity has none can be unregistered`);
    }
    if (topLevel.reserved) await tx.topLevelName.update({ where: { name }, data: { entityId: null } });
    else await tx.topLevelName.delete({ where: { name } });
    await tx.entity.delete({ where: { id: entityId } });
    await recordAudit(tx, actor, { action: 'unregister-name', target: name, before: { url: access.url } }, now);
  });
  return { name };
}
