import { Prisma } from '../../generated/prisma/client.js';
import type { AclKind, EntityKind } from '../../generated/prisma/client.js';
import type { SqlExecutor } from '../../db/sql-executor.js';
import { ANONYMOUS, type Caller, callerOf } from '../authorization/caller.js';
import type { EntityAccessRecord } from '../authorization/entity-access.js';
import type { Actor } from '../context.js';

/** The entity's row as read under its lock. */
export interface LockedEntityRow {
  id: number;
  defaultTrack: string;
  trackGuardrail: string | null;
  nextRevision: number;
  private: boolean;
  promulgated: boolean;
  /** The entity's track names, oldest first. */
  tracks: string[];
}

/** Which entity to lock: by id, or by owner and name (a push, before it knows the id). */
export type LockKey = { id: number } | { owner: string; name: string };

/** What one locking read returns. */
export interface LockedRead {
  /** Null when no such entity exists, or when `skip-locked` found it locked by another transaction (see `exists`). */
  entity: { row: LockedEntityRow; record: EntityAccessRecord } | null;
  /** The entity exists (read without a lock): with `entity` null, another transaction holds its lock. */
  exists: boolean;
  /** The caller's rights (admin flag, groups), read in the same statement. */
  caller: Caller;
  /** The id of the namespace named by an owner-and-name key (a push that creates the entity needs it). */
  namespaceId: number | null;
  /** The row with the command's own `columns`, when it asked for some and the entity was locked. */
  columns: Record<string, unknown> | null;
}

interface LockedReadRow {
  id: number | null;
  name: string | null;
  kind: EntityKind | null;
  private: boolean | null;
  promulgated: boolean | null;
  defaultTrack: string | null;
  trackGuardrail: string | null;
  nextRevision: number | null;
  namespaceName: string | null;
  acl: Array<{ channel: string; kind: AclKind; principal: string }> | string | null;
  tracks: string[] | null;
  exists: boolean;
  callerIsAdmin: boolean | null;
  callerGroups: Array<{ id: number; name: string }> | string | null;
  namespaceId: number | null;
}

/**
 * How the locking read gets the entity's row lock: `skip-locked` takes it
 * only if nobody holds it (then `entity` is null and `exists` true, and the
 * caller waits with `wait`); `wait` waits for it; `held`: the transaction
 * holds it already (a writer behind another in a batch, entity-batch.ts; a
 * command that took several locks in id order, waitForLocks).
 */
export type LockMode = 'skip-locked' | 'wait' | 'held';

/**
 * Takes the entity's row lock and reads, under it, what every entity
 * command needs: the row, its ACL and tracks (the access record), the
 * caller's admin flag and groups, and the owner's namespace id, and the
 * command's own `columns` (its SELECT list may use the locked row as `t`).
 * These used to be four to six statements per write.
 *
 * Everything is read as it is once the lock is held, so a write that a
 * previous holder of the lock committed (a revoked right, a new release) is
 * seen. A statement reads the other tables as they were when it began,
 * before it took the lock; PostgreSQL moves only the locked row itself on to
 * its newest version. So on PostgreSQL the lock is taken by a statement of
 * its own and the read is the next statement, sent with it without waiting
 * for its answer (the pool's connections pipeline): the read begins after
 * the lock is taken, and both cost one round trip. One statement does both
 * when nobody else can have committed in between: the transaction holds the
 * lock already, or nothing else commits while it is open (PGlite).
 */
export async function lockedRead(tx: SqlExecutor, key: LockKey, actor: Actor | null, mode: LockMode, columns: Prisma.Sql | null = null): Promise<LockedRead> {
  if (mode === 'held' || tx.exclusive) return read(tx, key, actor, mode, columns);
  const where = entityWhere(key);
  const [locked, found] = await Promise.all([
    tx.query<{ id: number }>(Prisma.sql`
      SELECT e."id" FROM "Entity" e JOIN "Namespace" n ON n."id" = e."namespaceId" WHERE ${where} ${lockClause(mode)}`),
    read(tx, key, actor, null, columns),
  ]);
  // Not locked (held by another transaction, or gone): what was read of the entity counts for nothing.
  if (locked.length === 0) return { ...found, entity: null, columns: null };
  // Found by name: the row locked is the row read, as no other transaction can rename or remove it while the lock is held.
  if (found.entity?.row.id !== locked[0]!.id) throw new Error(`The locking read found entity ${String(found.entity?.row.id)}, the lock ${locked[0]!.id}`);
  return found;
}

/** The condition that finds the entity (`e`, joined with its namespace `n`) by its key. */
function entityWhere(key: LockKey): Prisma.Sql {
  return 'id' in key ? Prisma.sql`e."id" = ${key.id}` : Prisma.sql`n."name" = ${key.owner} AND e."name" = ${key.name}`;
}

function lockClause(mode: LockMode | null): Prisma.Sql {
  if (mode === null) return Prisma.empty;
  return mode === 'skip-locked' ? Prisma.sql`FOR UPDATE OF e SKIP LOCKED` : Prisma.sql`FOR UPDATE OF e`;
}

/** The locking read's one statement; with no `lock`, a read of the entity (that the statement before it locked). */
async function read(tx: SqlExecutor, key: LockKey, actor: Actor | null, lock: LockMode | null, columns: Prisma.Sql | null): Promise<LockedRead> {
  const where = entityWhere(key);
  const namespace = 'id' in key ? Prisma.sql`NULL::int` : Prisma.sql`(SELECT "id" FROM "Namespace" WHERE "name" = ${key.owner})`;
  const userId = actor?.userId ?? null;
  const rows = await tx.query<LockedReadRow>(Prisma.sql`
    WITH target AS (
      SELECT e."id", e."name", e."kind"::text AS "kind", e."private", e."promulgated", e."defaultTrack", e."trackGuardrail",
             e."nextRevision", n."name" AS "namespaceName"
      FROM "Entity" e JOIN "Namespace" n ON n."id" = e."namespaceId"
      WHERE ${where}
      ${lockClause(lock)}
    )
    SELECT t.*,
      (SELECT COALESCE(json_agg(json_build_object('channel', a."channel", 'kind', a."kind"::text, 'principal', a."principal") ORDER BY a."id"), '[]'::json)
         FROM "AclEntry" a WHERE a."entityId" = t."id") AS "acl",
      (SELECT COALESCE(array_agg(tr."name" ORDER BY tr."createdAt", tr."id"), '{}'::text[])
         FROM "Track" tr WHERE tr."entityId" = t."id") AS "tracks",
      (t."id" IS NOT NULL OR EXISTS (SELECT 1 FROM "Entity" e JOIN "Namespace" n ON n."id" = e."namespaceId" WHERE ${where})) AS "exists",
      (SELECT u."isAdmin" FROM "User" u WHERE u."id" = ${userId}::int) AS "callerIsAdmin",
      (SELECT COALESCE(json_agg(json_build_object('id', g."id", 'name', g."name") ORDER BY g."id"), '[]'::json)
         FROM "GroupMember" m JOIN "Group" g ON g."id" = m."groupId" WHERE m."userId" = ${userId}::int) AS "callerGroups",
      ${namespace} AS "namespaceId"
      ${columns ? Prisma.sql`, ${columns}` : Prisma.empty}
    FROM (SELECT 1) AS one LEFT JOIN target t ON true`);
  const found = rows[0]!;
  const caller = actor ? callerOf(actor, found.callerIsAdmin ?? false, parseJson(found.callerGroups) ?? []) : ANONYMOUS;
  const entity =
    found.id === null
      ? null
      : {
          row: {
            id: found.id,
            defaultTrack: found.defaultTrack!,
            trackGuardrail: found.trackGuardrail,
            nextRevision: found.nextRevision!,
            private: found.private!,
            promulgated: found.promulgated!,
            tracks: found.tracks ?? [],
          },
          record: {
            id: found.id,
            name: found.name!,
            kind: found.kind!,
            private: found.private!,
            namespace: { name: found.namespaceName! },
            acl: parseJson(found.acl) ?? [],
          },
        };
  return { entity, exists: found.exists, caller, namespaceId: found.namespaceId, columns: columns ? (found as unknown as Record<string, unknown>) : null };
}

/** json columns of a raw query: the PostgreSQL adapter parses them, PGlite's may hand over the text. */
function parseJson<T>(value: T | string | null): T | null {
  return typeof value === 'string' ? (JSON.parse(value) as T) : value;
}

/** Waits for the row locks of `ids`, in ascending id order (the store's lock order). */
export async function waitForLocks(tx: SqlExecutor, ids: readonly number[]): Promise<void> {
  for (const id of [...new Set(ids)].sort((a, b) => a - b)) {
    await tx.query(Prisma.sql`SELECT "id" FROM "Entity" WHERE "id" = ${id} FOR UPDATE`);
  }
}
