import { type AclKind, Prisma } from '../../generated/prisma/client.js';
import type { PrismaClient } from '../../db/database.js';
import type { SqlExecutor } from '../../db/sql-executor.js';
import { type AclScope, formatAclScope, parseAclScope } from '../../domain/channel.js';
import { PermissionDeniedError, ValidationError } from '../../domain/errors.js';
import { EVERYONE } from '../../domain/names.js';
import type { EntityAccess } from '../authorization/entity-access.js';
import { INITIAL_ACL_CHANNELS } from '../entities/create-entity.js';

const MAX_PRINCIPALS = 100;

/**
 * Checks a principals argument: one or more distinct names, each a user, a
 * group or `everyone`. Unknown names are refused all at once, by name.
 */
export async function validatePrincipals(prisma: PrismaClient, principals: readonly string[], field = 'principals'): Promise<string[]> {
  const names = [...new Set(principals.map((principal) => principal.trim()))];
  if (names.length === 0 || names.includes('')) {
    throw new ValidationError('Name at least one principal: a username, a group name, or "everyone"', field);
  }
  if (names.length > MAX_PRINCIPALS) throw new ValidationError(`At most ${MAX_PRINCIPALS} principals may be named at once`, field);
  const accounts = names.filter((name) => name !== EVERYONE);
  // Every user and every group holds exactly one namespace of its name.
  const known = await prisma.namespace.findMany({ where: { name: { in: accounts } }, select: { name: true } });
  const knownNames = new Set(known.map((namespace) => namespace.name));
  const unknown = accounts.filter((name) => !knownNames.has(name));
  if (unknown.length > 0) {
    throw new ValidationError(
      `${unknown.map((name) => `"${name}"`).join(', ')} ${unknown.length === 1 ? 'is' : 'are'} neither a user nor a group; principals are usernames, group names, or "everyone"`,
      field,
    );
  }
  return names;
}

/** Owners and admins (with a token allowing package-manage-acl) change ACLs and privacy. */
export function requireManageAcl(access: EntityAccess): void {
  if (access.canManage('package-manage-acl')) return;
  const tokenProblem = access.isOwner || access.isAdmin ? ' (the token in use does not allow package-manage-acl)' : '';
  throw new PermissionDeniedError(`Only the owners of ${access.url} and store administrators may change its sharing${tokenProblem}`);
}

/**
 * Parses the channel of an ACL change and, for a track-narrowed list, checks
 * that the track exists among the entity's `tracks` (read with its lock): a
 * typo would otherwise grant nothing useful.
 */
export function resolveAclChannel(tracks: readonly string[], access: EntityAccess, channel: string, field = 'channel'): AclScope {
  const scope = parseAclScope(channel, field);
  if (scope.kind === 'risk' && scope.track !== null) {
    if (!tracks.includes(scope.track)) {
      throw new ValidationError(`${access.url} has no track "${scope.track}"; create it first (createTrack) or grant on a risk of every track`, field);
    }
  }
  return scope;
}

/** The principals on one list, sorted. */
export async function listPrincipals(sql: SqlExecutor, entityId: number, channel: string, kind: AclKind): Promise<string[]> {
  const entries = await sql.query<{ principal: string }>(Prisma.sql`
    SELECT "principal" FROM "AclEntry" WHERE "entityId" = ${entityId}::int AND "channel" = ${channel} AND "kind" = ${kind}::"AclKind" ORDER BY "principal"`);
  return entries.map((entry) => entry.principal);
}

/** Adds principals to one list; those already on it stay as they are. */
export async function addPrincipals(sql: SqlExecutor, list: { entityId: number; channel: string; kind: AclKind }, principals: readonly string[], now: Date): Promise<void> {
  await sql.query(Prisma.sql`
    INSERT INTO "AclEntry" ("entityId", "channel", "kind", "principal", "createdAt")
    SELECT ${list.entityId}::int, ${list.channel}, ${list.kind}::"AclKind", p."principal", ${now} FROM unnest(${principals}::text[]) AS p("principal")
    ON CONFLICT DO NOTHING`);
}

/**
 * `unpublished` and the four risks are the entity's own lists and may never
 * become empty; a track-narrowed list ("1.2/edge") only adds to its risk's
 * list and disappears with its last principal.
 */
export function ensureNotEmpty(scope: AclScope, kind: AclKind, remaining: readonly string[], field = 'principals'): void {
  const channel = formatAclScope(scope);
  if (remaining.length > 0 || !(INITIAL_ACL_CHANNELS as readonly string[]).includes(channel)) return;
  throw new ValidationError(
    `This would leave the ${kind === 'READ' ? 'read' : 'write'} list of "${channel}" empty; every list keeps at least one principal (grant someone else first)`,
    field,
  );
}

export const ACL_KINDS: readonly AclKind[] = ['READ', 'WRITE'];
