import { Prisma } from '../../generated/prisma/client.js';
import { formatAclScope, parseAclScope } from '../../domain/channel.js';
import { requireSignedIn } from '../accounts/require.js';
import type { ServiceContext } from '../context.js';
import { requireEntity } from '../entities/find-entity.js';
import { runEntityCommand, targetOf } from '../pipeline/entity-command.js';
import { ACL_KINDS, ensureNotEmpty, listPrincipals, requireManageAcl, resolveAclChannel, validatePrincipals } from './acl-lists.js';
import type { AclChangeInput } from './grant.js';

/**
 * Removes principals from one list, or from both the read and the write list
 * when `acl` is omitted. No list of the entity's own channels may become
 * empty: that is refused and nothing changes.
 */
export async function revoke(ctx: ServiceContext, input: AclChangeInput): Promise<{ entityId: number }> {
  requireSignedIn(ctx);
  const { access: found } = await requireEntity(ctx, input.url);
  requireManageAcl(found);
  // A malformed channel is reported before the principals are looked up; the track is checked under the lock.
  parseAclScope(input.channel ?? 'stable', 'channel');
  const kinds = input.acl ? [input.acl] : ACL_KINDS;
  const principals = await validatePrincipals(ctx.prisma, input.principals);
  return runEntityCommand(ctx, {
    target: targetOf(found, input.url),
    execute: async ({ sql, row, access }) => {
      requireManageAcl(access);
      const entityId = row.id;
      const scope = resolveAclChannel(row.tracks, access, input.channel ?? 'stable');
      const channel = formatAclScope(scope);
      const before: Record<string, string[]> = {};
      const after: Record<string, string[]> = {};
      for (const kind of kinds) {
        before[kind] = await listPrincipals(sql, entityId, channel, kind);
        after[kind] = before[kind].filter((principal) => !principals.includes(principal));
        ensureNotEmpty(scope, kind, after[kind]);
      }
      await sql.query(Prisma.sql`
        DELETE FROM "AclEntry"
        WHERE "entityId" = ${entityId}::int AND "channel" = ${channel} AND "kind"::text = ANY (${[...kinds]}::text[]) AND "principal" = ANY (${principals}::text[])`);
      return {
        result: { entityId },
        audit: { action: 'revoke', target: access.url, before: { channel, ...before }, after: { channel, ...after } },
        event: { kind: 'acl-changed', entityId },
      };
    },
  });
}
