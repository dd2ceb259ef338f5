import type { AclKind } from '../../generated/prisma/client.js';
import { formatAclScope, parseAclScope } from '../../domain/channel.js';
import { PermissionDeniedError, ValidationError } from '../../domain/errors.js';
import { requireSignedIn } from '../accounts/require.js';
import type { ServiceContext } from '../context.js';
import { requireEntity } from '../entities/find-entity.js';
import { ENTITY_COMMAND_ERRORS, runEntityCommand, targetOf } from '../pipeline/entity-command.js';
import { addPrincipals, listPrincipals, requireManageAcl, resolveAclChannel, validatePrincipals } from './acl-lists.js';

/** What grant, revoke and setAcl can answer besides success. */
export const aclChangeErrors = [...ENTITY_COMMAND_ERRORS, ValidationError, PermissionDeniedError] as const;

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
  const { access: found } = await requireEntity(ctx, input.url);
  requireManageAcl(found);
  // A malformed channel is reported before the principals are looked up; the track is checked under the lock.
  parseAclScope(input.channel ?? 'stable', 'channel');
  const kind = input.acl ?? 'READ';
  const principals = await validatePrincipals(ctx.prisma, input.principals);
  return runEntityCommand(ctx, {
    target: targetOf(found, input.url),
    execute: async ({ sql, row, access, now }) => {
      requireManageAcl(access);
      const entityId = row.id;
      const channel = formatAclScope(resolveAclChannel(row.tracks, access, input.channel ?? 'stable'));
      const before = await listPrincipals(sql, entityId, channel, kind);
      await addPrincipals(sql, { entityId, channel, kind }, principals, now);
      const after = await listPrincipals(sql, entityId, channel, kind);
      return {
        result: { entityId },
        audit: { action: 'grant', target: access.url, before: { channel, acl: kind, principals: before }, after: { channel, acl: kind, principals: after } },
        event: { kind: 'acl-changed', entityId },
      };
    },
  });
}
