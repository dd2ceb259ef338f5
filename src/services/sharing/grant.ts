import type { AclKind } from '../../generated/prisma/client.js';
import { formatAclScope } from '../../domain/channel.js';
import { requireSignedIn } from '../accounts/require.js';
import { recordAudit } from '../audit.js';
import type { ServiceContext } from '../context.js';
import { requireEntity } from '../entities/find-entity.js';
import { listPrincipals, lockEntity, requireManageAcl, resolveAclChannel, validatePrincipals } from './acl-lists.js';

export interface AclChangeInput {
  url: string;
  principals: readonly string[];
  /** "stable" when omitted, as `charm grant` does. */
  channel?: string | null;
  /** grant: READ when omitted; revoke: both lists when omitted. */
  acl?: AclKind | null;
}

/**
 * Adds principals to one list of an entity (read on stable by default).
 * Principals already there stay; the change applies to the next request.
 */
export async function grant(ctx: ServiceContext, input: AclChangeInput): Promise<{ entityId: number }> {
  requireSignedIn(ctx);
  const { access } = await requireEntity(ctx, input.url);
  requireManageAcl(access);
  const scope = await resolveAclChannel(ctx.prisma, access, input.channel ?? 'stable');
  const kind = input.acl ?? 'READ';
  const principals = await validatePrincipals(ctx.prisma, input.principals);
  const channel = formatAclScope(scope);
  const entityId = access.entity.id;
  const now = ctx.now();
  await ctx.prisma.$transaction(async (tx) => {
    await lockEntity(tx, entityId);
    const before = await listPrincipals(tx, entityId, channel, kind);
    await tx.aclEntry.createMany({
      data: principals.map((principal) => ({ entityId, channel, kind, principal, createdAt: now })),
      skipDuplicates: true,
    });
    const after = await listPrincipals(tx, entityId, channel, kind);
    await recordAudit(tx, ctx.actor, { action: 'grant', entityId, target: access.url, before: { channel, acl: kind, principals: before }, after: { channel, acl: kind, principals: after } }, now);
  });
  return { entityId };
}
