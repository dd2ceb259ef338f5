import { requireSignedIn } from '../accounts/require.js';
import { recordAudit } from '../audit.js';
import type { ServiceContext } from '../context.js';
import { requireEntity } from '../entities/find-entity.js';
import { lockEntity, requireManageAcl } from './acl-lists.js';

/**
 * `private: false` lets everyone read every released channel (the
 * authorization rules read the flag); `private: true` takes that away again.
 * Explicit grants, `everyone` ones included, are left as they are.
 */
export async function setPrivate(ctx: ServiceContext, input: { url: string; private: boolean }): Promise<{ entityId: number }> {
  requireSignedIn(ctx);
  const { access } = await requireEntity(ctx, input.url);
  requireManageAcl(access);
  const entityId = access.entity.id;
  const now = ctx.now();
  await ctx.prisma.$transaction(async (tx) => {
    await lockEntity(tx, entityId);
    const { private: before } = await tx.entity.findUniqueOrThrow({ where: { id: entityId }, select: { private: true } });
    await tx.entity.update({ where: { id: entityId }, data: { private: input.private } });
    await recordAudit(tx, ctx.actor, { action: 'set-private', entityId, target: access.url, before: { private: before }, after: { private: input.private } }, now);
  });
  return { entityId };
}
