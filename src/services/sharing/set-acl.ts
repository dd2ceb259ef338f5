import { Prisma } from '../../generated/prisma/client.js';
import type { AclKind } from '../../generated/prisma/client.js';
import { formatAclScope, parseAclScope } from '../../domain/channel.js';
import { requireSignedIn } from '../accounts/require.js';
import type { ServiceContext } from '../context.js';
import { requireEntity } from '../entities/find-entity.js';
import { runEntityCommand, targetOf } from '../pipeline/entity-command.js';
import { addPrincipals, ensureNotEmpty, listPrincipals, requireManageAcl, resolveAclChannel, validatePrincipals } from './acl-lists.js';

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
    execute: async ({ sql, row, access, now }) => {
      requireManageAcl(access);
      const entityId = row.id;
      const channel = formatAclScope(resolveAclChannel(row.tracks, access, input.channel));
      const before = await listPrincipals(sql, entityId, channel, kind);
      await sql.query(Prisma.sql`
        DELETE FROM "AclEntry"
        WHERE "entityId" = ${entityId}::int AND "channel" = ${channel} AND "kind" = ${kind}::"AclKind" AND NOT ("principal" = ANY (${principals}::text[]))`);
      await addPrincipals(sql, { entityId, channel, kind }, principals, now);
      return {
        result: { entityId },
        audit: { action: 'set-acl', target: access.url, before: { channel, acl: kind, principals: before }, after: { channel, acl: kind, principals: [...principals].sort() } },
        event: { kind: 'acl-changed', entityId },
      };
    },
  });
}
