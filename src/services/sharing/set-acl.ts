import type { AclKind } from '../../generated/prisma/client.js';
import { formatAclScope, parseAclScope } from '../../domain/channel.js';
import { requireSignedIn } from '../accounts/require.js';
import type { ServiceContext } from '../context.js';
import { requireEntity } from '../entities/find-entity.js';
import { runEntityCommand, targetOf } from '../pipeline/entity-command.js';
import { ensureNotEmpty, listPrincipals, requireManageAcl, resolveAclChannel, validatePrincipals } from './acl-lists.js';

export interface SetAclInput {
  url: string;
  channel: string;
  acl: AclKind;
  principals: readonly string[];
}

/** Replaces one list with exactly the given principals (at least one). */
export async function setAcl(ctx: ServiceContext, input: SetAclInput): Promise<{ entityId: number }> {
  requireSignedIn(ctx);
  const { access: found } = await requireEntity(ctx, input.url);
  requireManageAcl(found);
  const scope = parseAclScope(input.channel, 'channel');
  const principals = await validatePrincipals(ctx.prisma, input.principals);
  ensureNotEmpty(scope, input.acl, principals);
  const kind = input.acl;
  return runEntityCommand(ctx, {
    target: targetOf(found, input.url),
    prismaTransaction: true,
    execute: async ({ tx, row, access, now }) => {
      requireManageAcl(access);
      const entityId = row.id;
      const channel = formatAclScope(await resolveAclChannel(tx, access, input.channel));
      const before = await listPrincipals(tx, entityId, channel, kind);
      await tx.aclEntry.deleteMany({ where: { entityId, channel, kind, principal: { notIn: principals } } });
      await tx.aclEntry.createMany({
        data: principals.map((principal) => ({ entityId, channel, kind, principal, createdAt: now })),
        skipDuplicates: true,
      });
      return {
        result: { entityId },
        audit: { action: 'set-acl', target: access.url, before: { channel, acl: kind, principals: before }, after: { channel, acl: kind, principals: [...principals].sort() } },
        event: { kind: 'acl-changed', entityId },
      };
    },
  });
}
