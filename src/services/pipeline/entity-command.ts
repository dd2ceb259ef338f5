import type { EntityKind } from '../../generated/prisma/client.js';
import type { Tx } from '../../db/database.js';
import { AuthenticationError, NotFoundError, type StoreError, ValidationError } from '../../domain/errors.js';
import { type EntityAuditEvent, recordAudit } from '../audit.js';
import { type Caller, loadCaller } from '../authorization/caller.js';
import { EntityAccess, entityAccessSelect, notFound } from '../authorization/entity-access.js';
import type { ServiceContext } from '../context.js';
import { createEntity } from '../entities/create-entity.js';
import { clearRequestCaches } from '../request-cache.js';
import { entityQueueKey, inEntityQueues } from './entity-queue.js';
import type { DomainEvent } from './events.js';
import { withRetries } from './retry.js';

/**
 * THE write pipeline of the store: every mutation of an entity (its
 * revisions, resources, channels, tracks, ACLs, privacy, name) runs through
 * runEntityCommand, which does, in this order:
 *
 *  1. waits its turn in the entity's in-process queue (entity-queue.ts), so
 *     waiting writers hold no database connection;
 *  2. opens a transaction and takes the entity row lock: `SELECT ... FOR
 *     UPDATE` on "Entity" (several entities: one at a time by ascending id);
 *  3. loads the caller's rights (groups, admin flag, the entity's ACL)
 *     INSIDE the transaction, after the lock, so a write that waited while
 *     its caller's access was revoked is refused;
 *  4. runs the use case's checks and writes (`execute`);
 *  5. records the use case's typed audit event in the same transaction, and
 *     hands it to the publisher's recordInTransaction (live updates: NOTIFY,
 *     webhook outbox), so those commit or roll back with the change;
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
  create?: { namespaceId: number; kind: EntityKind; allowed(caller: Caller): boolean; denied(): StoreError };
  /** The url the caller gave, for the not-found message. */
  url: string;
}

/** The entity's row as read under its lock. */
export interface LockedEntityRow {
  id: number;
  defaultTrack: string;
  trackGuardrail: string | null;
  nextRevision: number;
  private: boolean;
  promulgated: boolean;
}

/** What `execute` gets: the transaction, the locked entity, and the caller's rights read under the lock. */
export interface LockedEntity {
  tx: Tx;
  row: LockedEntityRow;
  access: EntityAccess;
  caller: Caller;
  /** The entity was created by this command (a first push). */
  created: boolean;
  now: Date;
}

export interface CommandOutcome<R> {
  result: R;
  /** Recorded with the change; `entityId: null` when the command deleted the entity. */
  audit: EntityAuditEvent & { entityId?: number | null };
  /** Published after the commit. */
  event: DomainEvent | null;
}

export interface EntityCommand<R> {
  target: EntityTarget;
  /**
   * Further entities the command writes (promulgate: the entity that held the
   * name), read before the transaction and locked with the target in id
   * order. `execute` must check they are still the right ones and throw
   * StaleCommandError when not (the command then runs again).
   */
  related?(): Promise<Array<{ id: number; owner: string; name: string }>>;
  execute(locked: LockedEntity): Promise<CommandOutcome<R>>;
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
      const keys = [entityQueueKey(target.owner, target.name), ...related.map((entity) => entityQueueKey(entity.owner, entity.name))];
      return inEntityQueues(keys, () =>
        ctx.prisma.$transaction(async (tx) => {
          const now = ctx.now();
          const { id, created } = await resolveTarget(ctx, tx, target, now);
          const row = await lockEntities(tx, id, related.map((entity) => entity.id));
          // Read after the lock: each statement sees what committed before it, so rights revoked while this write waited apply.
          const caller = await loadCaller(tx, ctx.actor);
          const record = await tx.entity.findUnique({ where: { id }, select: entityAccessSelect });
          if (!record) throw notFound(target.url);
          const access = new EntityAccess(record, caller);
          // Invisible now (made private, access revoked meanwhile): as if it did not exist.
          if (!created && !access.canView()) throw target.create ? target.create.denied() : notFound(target.url);
          const result = await command.execute({ tx, row, access, caller, created, now });
          const entityId = result.audit.entityId === undefined ? id : result.audit.entityId;
          const eventId = await recordAudit(tx, ctx.actor, { ...result.audit, entityId }, now);
          // Live updates: the NOTIFY and webhook outbox rows commit (or not) with the change.
          await ctx.events.recordInTransaction?.(tx, { eventId, entityId, action: result.audit.action });
          return result;
        }),
      );
    });
  } finally {
    clearRequestCaches(ctx);
  }
  if (outcome.event) await publishSafely(ctx, outcome.event);
  return outcome.result;
}

/** The target's id, creating the entity first for a push that may (no lock is held yet: nothing else can hold a new row). */
async function resolveTarget(ctx: ServiceContext, tx: Tx, target: EntityTarget, now: Date): Promise<{ id: number; created: boolean }> {
  if (target.id !== undefined) return { id: target.id, created: false };
  const existing = await tx.entity.findFirst({ where: { name: target.name, namespace: { name: target.owner } }, select: { id: true } });
  if (existing) return { id: existing.id, created: false };
  const create = target.create;
  if (!create) throw notFound(target.url);
  if (!create.allowed(await loadCaller(tx, ctx.actor))) throw create.denied();
  const { entity, created } = await createEntity(tx, { namespaceId: create.namespaceId, ownerName: target.owner, name: target.name, kind: create.kind, now });
  return { id: entity.id, created };
}

/** Takes the row locks of the target and the related entities, by ascending id; returns the target's row. */
async function lockEntities(tx: Tx, targetId: number, relatedIds: readonly number[]): Promise<LockedEntityRow> {
  let targetRow: LockedEntityRow | undefined;
  for (const id of [...new Set([targetId, ...relatedIds])].sort((a, b) => a - b)) {
    const rows = await tx.$queryRaw<LockedEntityRow[]>`
      SELECT "id", "defaultTrack", "trackGuardrail", "nextRevision", "private", "promulgated"
      FROM "Entity" WHERE "id" = ${id} FOR UPDATE`;
    if (id === targetId) targetRow = rows[0];
  }
  if (!targetRow) throw new NotFoundError('The charm or bundle was deleted meanwhile');
  return targetRow;
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

async function publishSafely(ctx: ServiceContext, event: DomainEvent): Promise<void> {
  try {
    await ctx.events.publish(event);
  } catch (error) {
    ctx.logger.error({ err: error, event }, 'a committed write could not be published; it stays committed and acknowledged');
  }
}
