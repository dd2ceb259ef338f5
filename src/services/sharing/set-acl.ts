import type { AclKind } from '../../generated/prisma/client.js';
import { formatAclScope } from '../../domain/channel.js';
import { requireSignedIn } from '../accounts/require.js';
import { recordAudit } from '../audit.js';
import type { ServiceContext } from '../context.js';
import { requireEntity } from '../entities/find-entity.js';
import { ensureNotEmpty, listPrincipals, lockEntity, requireManageAcl, resolveAclChannel, validatePrincipals } from './acl-lists.js';

export interface SetAclInput {
  url: string;
  channel: string;
  acl: AclKind;
  principals: readonly string[];
}

/** Replaces one list with exactly the given principals (at least one). */
export async function setAcl(ctx: ServiceContext, input: SetAclInput): Promise<{ entityId: number }> {
  requireSignedIn(ctx);
  const { access } = await requireEntity(ctx, input.url);
  requireManageAcl(access);
  const scope = await resolveAclChannel(ctx.prisma, access, input.channel);
  const principals = await validatePrincipals(ctx.prisma, input.principals);
  ensureNotEmpty(scope, input.acl, principals);
  const channel = formatAclScope(scope);
  const kind = input.acl;
  const entityId = access.entity.id;
  const now = ctx.now();
  await ctx.prisma.$transaction(async (tx) => {
    await lockEntity(tx, entityId);
    const before = await listPrincipals(tx, entityId, channel, kind);
    await tx.aclEntry.deleteMany({ where: { entityId, channel, kind, principal: { notIn: principals } } });
    await tx.aclEntry.createMany({
      data: principals.map((principal) => ({ entityId, channel, kind, principal, createdAt: now })),
      skipDuplicates: true,
    });
    await recordAudit(tx, ctx.actor, { action: 'set-acl', entityId, target: access.url, before: { channel, acl: kind, principals: before }, after: { channel, acl: kind, principals: [...principals].sort() } }, now);
  });
  return { entityId };
}
