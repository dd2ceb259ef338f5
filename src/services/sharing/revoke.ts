import { formatAclScope } from '../../domain/channel.js';
import { requireSignedIn } from '../accounts/require.js';
import { recordAudit } from '../audit.js';
import type { ServiceContext } from '../context.js';
import { requireEntity } from '../entities/find-entity.js';
import { ACL_KINDS, ensureNotEmpty, listPrincipals, lockEntity, requireManageAcl, resolveAclChannel, validatePrincipals } from './acl-lists.js';
import type { AclChangeInput } from './grant.js';

/**
 * Removes principals from one list, or from both the read and the write list
 * when `acl` is omitted. No list of the entity's own channels may become
 * empty: that is refused and nothing changes.
 */
export async function revoke(ctx: ServiceContext, input: AclChangeInput): Promise<{ entityId: number }> {
  requireSignedIn(ctx);
  const { access } = await requireEntity(ctx, input.url);
  requireManageAcl(access);
  const scope = await resolveAclChannel(ctx.prisma, access, input.channel ?? 'stable');
  const kinds = input.acl ? [input.acl] : ACL_KINDS;
  const principals = await validatePrincipals(ctx.prisma, input.principals);
  const channel = formatAclScope(scope);
  const entityId = access.entity.id;
  const now = ctx.now();
  await ctx.prisma.$transaction(async (tx) => {
    await lockEntity(tx, entityId);
    const before: Record<string, string[]> = {};
    const after: Record<string, string[]> = {};
    for (const kind of kinds) {
      before[kind] = await listPrincipals(tx, entityId, channel, kind);
      after[kind] = before[kind].filter((principal) => !principals.includes(principal));
      ensureNotEmpty(scope, kind, after[kind]);
    }
    await tx.aclEntry.deleteMany({ where: { entityId, channel, kind: { in: [...kinds] }, principal: { in: principals } } });
    await recordAudit(tx, ctx.actor, { action: 'revoke', entityId, target: access.url, before: { channel, ...before }, after: { channel, ...after } }, now);
  });
  return { entityId };
}
