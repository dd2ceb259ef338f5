import type { EntityKind, Prisma } from '../../generated/prisma/client.js';
import type { SqlExecutor } from '../../db/sql-executor.js';
import { AuthenticationError, NotFoundError, type StoreError, ValidationError } from '../../domain/errors.js';
import { LATEST_TRACK } from '../../domain/channel.js';
import { BUNDLE_SERIES, type EntityUrl, formatEntityUrl, parseEntityUrl } from '../../domain/entity-url.js';
import { requireEntity } from '../entities/find-entity.js';
import type { EntityAuditEvent } from '../audit.js';
import type { Caller } from '../authorization/caller.js';
import { EntityAccess, type EntityAccessRecord, notFound } from '../authorization/entity-access.js';
import type { ServiceContext } from '../context.js';
import { createEntity, initialAcl } from '../entities/create-entity.js';
import { clearRequestCaches } from '../request-cache.js';
import { inEntityBatch, inTransaction, type WriterScope } from './entity-batch.js';
import { entityQueueKey, inEntityQueues } from './entity-queue.js';
import type { CommitFacts, DomainEvent } from './events.js';
import { type LockedEntityRow, type LockedRead, type LockKey, lockedRead, waitForLocks } from './locked-read.js';
import { changeRecordCtes, recordEntityChange } from './record-change.js';
import { withRetries } from './retry.js';

/**
 * THE write pipeline of the store: every mutation of an entity (its
 * revisions, resources, channels, tracks, ACLs, privacy, name) runs through
 * runEntityCommand, which does, in this order:
 *
 *  1. waits its turn in the entity's in-process queue (entity-queue.ts), so
 *     waiting writers hold no database connection; the writers that queued
 *     while a transaction of the entity was open then share the next one,
 *     each behind a savepoint (group commit, entity-batch.ts);
 *  2. opens a transaction on the driver's connection (`ctx.sql`: every
 *     command's statements are hand-written SQL, run through a SqlExecutor,
 *     without Prisma's interactive transaction and its CPU per statement)
 *     and takes the entity row lock: `SELECT ... FOR UPDATE` on "Entity"
 *     (several entities: one at a time by ascending id);
 *  3. loads the caller's rights (groups, admin flag, the entity's ACL)
 *     INSIDE the transaction, after the lock, so a write that waited while
 *     its caller's access was revoked is refused. Uncontended, 2 and 3 are
 *     one round trip (locked-read.ts: the lock with SKIP LOCKED, so it never
 *     waits, and the read pipelined behind it; when another transaction
 *     holds the lock, the same again without SKIP LOCKED);
 *  4. runs the use case's checks and writes (`execute`);
 *  5. records the use case's typed audit event in the same transaction, with
 *     the live update's webhook outbox rows and NOTIFY in the same statement
 *     (record-change.ts), so those commit or roll back with the change (push
 *     and release put that statement's parts in their own write statement:
 *     `changeRecord`);
 *  6. commits; a deadlock or serialization failure reruns 2-5 (bounded, with
 *     jitter; see retry.ts);
 *  7. clears the request's caches, so later fields and mutations of the same
 *     document see the write;
 *  8. hands the domain event to the publisher. A failing publisher is
 *     logged; the write is committed and is acknowledged as such.
 *
 * The result is built from what the transaction wrote and returned: nothing
 * is read again after the commit, so a committed write is never reported as
 * failed.
 *
 * LOCK ORDER (every transaction of the store that takes more than one lock
 * follows it, so no two writes can deadlock):
 *   1. Entity rows, by ascending id;
 *   2. TopLevelName rows (names.ts);
 *   3. the entity's child rows (Resource, Channel, Track, AclEntry,
 *      Revision, Release, AuditEvent), which only the holder of the entity
 *      lock writes.
 * A new entity (a first push, registerName) is inserted before it is
 * locked; nobody else can hold its row yet.
 */

/** The errors the pipeline itself produces; every command's list includes them. */
export const ENTITY_COMMAND_ERRORS = [AuthenticationError, NotFoundError, ValidationError] as const;

/** Which entity a command writes to. */
export interface EntityTarget {
  owner: string;
  name: string;
  /** The entity's id, when it exists. */
  id?: number;
  /** A push: create the entity when it does not exist yet, if the caller may. */
  create?: { kind: EntityKind; allowed(caller: Caller): boolean; denied(): StoreError };
  /** The url the caller gave, for the not-found message. */
  url: string;
  /** The url's series segment, if any: it must agree with the entity's kind (`bundle` for bundles). */
  series?: string;
}

export type { LockedEntityRow } from './locked-read.js';

/** What `execute` gets: the transaction, the locked entity, and the caller's rights read under the lock. */
export interface LockedEntity {
  /** The transaction's statements. */
  sql: SqlExecutor;
  row: LockedEntityRow;
  access: EntityAccess;
  caller: Caller;
  /** The entity was created by this command (a first push). */
  created: boolean;
  now: Date;
  /**
   * Step 5 as CTEs for the command's own write statement (record-change.ts,
   * `changeRecordCtes`): one statement fewer. A command that uses it returns
   * the same audit event with `recorded` set from the statement's RECORDED_COLUMNS.
   */
  changeRecord(audit: EntityAuditEvent, gate: Prisma.Sql | null): Prisma.Sql;
  /**
   * The command's `lockedColumns`, read with the locking read (so, under
   * the lock); null when it has none, or they did not parse.
   */
  lockedColumns: Record<string, unknown> | null;
  /** Work started now that only has to be done before the COMMIT (WriterScope.beforeCommit, entity-batch.ts). */
  beforeCommit(work: Promise<unknown>): void;
}

export interface CommandOutcome<R> {
  result: R;
  /** Recorded with the change; `entityId: null` when the command deleted the entity. */
  audit: EntityAuditEvent & { entityId?: number | null };
  /** Published after the commit. */
  event: DomainEvent | null;
  /**
   * The command's write statement recorded `audit` (`changeRecord`, selecting
   * RECORDED_COLUMNS): the pipeline records nothing more. `webhooksQueued`:
   * the record queued webhook deliveries.
   */
  recorded?: { webhooksQueued: boolean };
}

/** A command: its statements are all hand-written SQL, run on the driver's connection (Database.sql.transaction). */
export interface EntityCommand<R> {
  target: EntityTarget;
  /**
   * Further entities the command writes (promulgate: the entity that held the
   * name), read before the transaction and locked with the target in id
   * order. `execute` must check they are still the right ones and throw
   * StaleCommandError when not (the command then runs again).
   */
  related?(): Promise<Array<{ id: number; owner: string; name: string }>>;
  /**
   * Columns the command would read first thing under the lock, for the
   * locking read's SELECT list (the locked row is `t` there: `t."id"`,
   * `t."defaultTrack"`), read under the lock (`LockedEntity.lockedColumns`):
   * a statement and a round trip fewer; null: none.
   */
  lockedColumns?(): Prisma.Sql | null;
  execute(locked: LockedEntity): Promise<CommandOutcome<R>>;
}

/**
 * The target of a command on the entity a url names. With an owner
 * (`~kirk/foo`) the pipeline's locking statement finds the entity by name:
 * nothing is read before the transaction. A top-level url (`cs:foo`) is
 * resolved first (requireEntity). Also returns the parsed url and the
 * entity's canonical url for messages.
 */
export async function commandTarget(ctx: ServiceContext, urlText: string): Promise<{ target: EntityTarget; url: EntityUrl; canonical: string }> {
  const url = parseEntityUrl(urlText, 'url');
  if (url.owner !== undefined) {
    const canonical = formatEntityUrl({ owner: url.owner, name: url.name, isBundle: url.series === BUNDLE_SERIES });
    return { target: { owner: url.owner, name: url.name, url: urlText, ...(url.series !== undefined ? { series: url.series } : {}) }, url, canonical };
  }
  const { access } = await requireEntity(ctx, urlText);
  return { target: targetOf(access, urlText), url, canonical: access.url };
}

/** The target of a command on an entity the caller found (requireEntity). */
export function targetOf(access: EntityAccess, url: string): EntityTarget {
  return { owner: access.entity.namespace.name, name: access.entity.name, id: access.entity.id, url };
}

export async function runEntityCommand<R>(ctx: ServiceContext, command: EntityCommand<R>): Promise<R> {
  const { target } = command;
  const policy = { retries: ctx.settings.writes.retries, baseDelayMs: ctx.settings.writes.retryBaseDelayMs };
  let outcome: CommandOutcome<R>;
  try {
    outcome = await withRetries(policy, async () => {
      const related = command.related ? await command.related() : [];
      const key = entityQueueKey(target.owner, target.name);
      if (related.length === 0) return inEntityBatch(ctx.sql, key, ctx.settings.writes.batchMax, (scope) => runLocked(ctx, command, scope, related));
      const keys = [key, ...related.map((entity) => entityQueueKey(entity.owner, entity.name))];
      return inEntityQueues(keys, () => inTransaction(ctx.sql, (scope) => runLocked(ctx, command, scope, related)));
    });
  } finally {
    clearRequestCaches(ctx);
  }
  if (outcome.event) await publishSafely(ctx, outcome.event, { webhooksQueued: outcome.recorded?.webhooksQueued ?? false });
  return outcome.result;
}

/** Steps 2 to 5, inside the transaction. */
async function runLocked<R>(
  ctx: ServiceContext,
  command: EntityCommand<R>,
  { sql, lockHeld, beforeCommit }: WriterScope,
  related: ReadonlyArray<{ id: number }>,
): Promise<CommandOutcome<R>> {
  const { target } = command;
  const now = ctx.now();
  const columns = command.lockedColumns?.() ?? null;
  const { row, record, caller, created, lockedColumns } = await lockTarget(ctx, sql, target, related.map((entity) => entity.id), lockHeld, now, columns);
  const access = new EntityAccess(record, caller);
  // Invisible now (made private, access revoked meanwhile): as if it did not exist.
  if (!created && (!access.canView() || !seriesFits(target.series, record.kind))) throw target.create ? target.create.denied() : notFound(target.url);
  const changeRecord = (audit: EntityAuditEvent, gate: Prisma.Sql | null) => changeRecordCtes(ctx.actor, { ...audit, entityId: row.id }, now, ctx.events.liveChannel, gate);
  const locked: LockedEntity = { sql, row, access, caller, created, now, changeRecord, lockedColumns, beforeCommit };
  const result = await command.execute(locked);
  if (result.recorded) return result;
  const entityId = result.audit.entityId === undefined ? row.id : result.audit.entityId;
  // The audit event, and with it (same statement) the live update's NOTIFY and webhook outbox rows: they commit (or not) with the change.
  const { webhooksQueued } = await recordEntityChange(sql, ctx.actor, { ...result.audit, entityId }, now, ctx.events.liveChannel);
  return { ...result, recorded: { webhooksQueued: webhooksQueued > 0 } };
}

/**
 * Steps 2 and 3: takes the target's row lock (and the related entities', in
 * ascending id order) and reads the caller's rights under it, creating the
 * entity first for a push that may (no lock is held yet: nothing else can
 * hold a new row). Uncontended, this is one round trip (lockedRead).
 */
async function lockTarget(
  ctx: ServiceContext,
  tx: SqlExecutor,
  target: EntityTarget,
  relatedIds: readonly number[],
  lockHeld: boolean,
  now: Date,
  columns: Prisma.Sql | null,
): Promise<{ row: LockedEntityRow; record: EntityAccessRecord; caller: Caller; created: boolean; lockedColumns: Record<string, unknown> | null }> {
  const key: LockKey = target.id !== undefined ? { id: target.id } : { owner: target.owner, name: target.name };
  let read: LockedRead;
  if (relatedIds.length > 0) {
    if (target.id === undefined) throw new Error('A command with related entities must name its target by id');
    await waitForLocks(tx, [target.id, ...relatedIds]);
    read = await lockedRead(tx, key, ctx.actor, 'held', columns);
  } else {
    read = await lockedRead(tx, key, ctx.actor, lockHeld ? 'held' : 'skip-locked', columns);
    // Held by another transaction: wait for it.
    if (!read.entity && read.exists) read = await lockedRead(tx, key, ctx.actor, 'wait', columns);
  }
  if (read.entity) return { ...read.entity, caller: read.caller, created: false, lockedColumns: read.columns };
  if (read.exists || relatedIds.length > 0) throw new NotFoundError('The charm or bundle was deleted meanwhile');
  const create = target.create;
  if (!create) throw notFound(target.url);
  if (read.namespaceId === null || !create.allowed(read.caller)) throw create.denied();
  const { entity, created } = await createEntity(tx, { namespaceId: read.namespaceId, ownerName: target.owner, name: target.name, kind: create.kind, now });
  if (!created) {
    // A concurrent first push created it (and committed): lock it like any other.
    const again = await lockedRead(tx, { id: entity.id }, ctx.actor, 'wait', columns);
    if (!again.entity) throw new NotFoundError('The charm or bundle was deleted meanwhile');
    return { ...again.entity, caller: again.caller, created: false, lockedColumns: again.columns };
  }
  // What createEntity wrote, known without reading it back.
  return {
    row: { ...entity, tracks: [LATEST_TRACK] },
    record: { id: entity.id, name: entity.name, kind: entity.kind, private: entity.private, namespace: { name: target.owner }, acl: initialAcl(target.owner) },
    caller: read.caller,
    created: true,
    lockedColumns: null,
  };
}

/** A url's series segment agrees with the kind: `bundle` names bundles, any other series charms (as findEntity has it). */
function seriesFits(series: string | undefined, kind: EntityKind): boolean {
  if (series === undefined) return true;
  return (series === BUNDLE_SERIES) === (kind === 'BUNDLE');
}

/**
 * Steps 7 and 8 for the few writes that cannot take an entity lock first
 * because their entity does not exist yet (registerName creates it under the
 * name's lock): clears the request's caches and publishes the event.
 */
export async function afterCommit(ctx: ServiceContext, event: DomainEvent | null): Promise<void> {
  clearRequestCaches(ctx);
  if (event) await publishSafely(ctx, event);
}

async function publishSafely(ctx: ServiceContext, event: DomainEvent, commit?: CommitFacts): Promise<void> {
  try {
    await ctx.events.publish(event, commit);
  } catch (error) {
    ctx.logger.error({ err: error, event }, 'a committed write could not be published; it stays committed and acknowledged');
  }
}
