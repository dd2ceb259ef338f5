import { AsyncResource } from 'node:async_hooks';
import type { SqlExecutor } from '../../db/sql-executor.js';
import { type SqlDriver, TransactionAbortedError, TransactionTimeoutError } from '../../db/sql-transaction.js';
import { Prisma } from '../../generated/prisma/client.js';
import { inEntityQueues } from './entity-queue.js';

/**
 * Group commit for the writers of one entity. While a transaction of the
 * entity is open, the writers that arrive wait in its line; when it ends,
 * up to `maxBatch` of them run, in the order they came, in ONE transaction:
 * one connection, one BEGIN and one COMMIT (and one fsync of the WAL) for
 * all, each member behind a SAVEPOINT of its own. Writers of one entity are
 * serialised by its lock anyway, so a busy entity's writes wait less and the
 * entity is held a shorter time per write; an idle entity's writer runs
 * alone, exactly as before (no savepoint).
 *
 * What each member sees is what it would see alone, one after another: its
 * own locking read (rights read under the lock, after the members before it
 * wrote), its own checks and writes. A member that fails is rolled back to
 * its savepoint and gets its own error; the others go on. Every member is
 * answered only after the COMMIT, so an acknowledged write is committed.
 *
 * When the transaction itself fails before its COMMIT (the connection lost,
 * the time limit, a rollback to a savepoint refused), nothing of it was
 * committed: the member whose work it was running gets the error, and every
 * other member runs again on its own, in order, in a transaction of its own.
 * A member running when an earlier member left the transaction unusable is
 * not to blame: it runs again too; nor is a member after the first running
 * when the time limit passed (the members before it spent part of it): it
 * runs again alone, once its abandoned work settled. A COMMIT that fails is
 * answered to every member whose work succeeded, as it is to a writer alone:
 * whether it committed is unknown.
 */
export async function inEntityBatch<T>(driver: SqlDriver, key: string, maxBatch: number, work: BatchWork<T>): Promise<T> {
  if (maxBatch <= 1) return inEntityQueues([key], () => inTransaction(driver, work));
  let byKey = lines.get(driver);
  if (!byKey) lines.set(driver, (byKey = new Map()));
  let line = byKey.get(key);
  if (!line) byKey.set(key, (line = { pending: [], draining: false }));
  // Bound to the writer's own async context: its request's id in log lines, its trace for the database spans, whichever
  // writer's turn runs the transaction.
  // (A resource and runInAsyncScope rather than AsyncResource.bind, which on Node 20 also builds a deprecation wrapper
  // for the bound function's `asyncResource` property on every call: ~2 % of a release's CPU.)
  const resource = new AsyncResource('charmstore.entity-writer');
  const bound: BatchWork<T> = (scope) => resource.runInAsyncScope(work, undefined, scope);
  const answer = new Promise<T>((resolve, reject) => line.pending.push({ work: bound, resolve: resolve as (value: unknown) => void, reject }));
  if (!line.draining) {
    line.draining = true;
    void drain(driver, key, line, byKey, maxBatch);
  }
  return answer;
}

/** How many writers wait in the entity's line for the next transaction (not counting one whose transaction is open): for tests and diagnostics. */
export function writersInLine(driver: SqlDriver, key: string): number {
  return lines.get(driver)?.get(key)?.pending.length ?? 0;
}

/** What a writer's part of a transaction gets. */
export interface WriterScope {
  sql: SqlExecutor;
  /**
   * A member before it in the same transaction succeeded, so the transaction
   * holds the entity's row lock already (a member rolled back to its
   * savepoint may have lost the lock it took, a succeeded one has not).
   */
  lockHeld: boolean;
  /**
   * Work started by the writer that only has to be done before the COMMIT
   * (a blob's link and directory fsync): the transaction awaits it after its
   * writers' parts, so the entity's next writer in the batch does not wait
   * for the disk. If it fails, the transaction is rolled back and its
   * writers run again, each alone, so the failure is answered to its own.
   */
  beforeCommit(work: Promise<unknown>): void;
}

export type BatchWork<T> = (scope: WriterScope) => Promise<T>;

/** `work` in a transaction of its own (a writer alone, or one that takes several entities' locks). */
export async function inTransaction<T>(driver: SqlDriver, work: BatchWork<T>): Promise<T> {
  return driver.transaction(async (tx) => {
    const finishing: Array<Promise<unknown>> = [];
    let committing = false;
    // A last statement sent with its COMMIT (StatementOptions.commit) only when no before-commit work is pending: that
    // work must be done before the COMMIT.
    const sql: SqlExecutor = {
      query: (statement, options) => {
        const commit = options?.commit === true && finishing.length === 0;
        committing ||= commit;
        return tx.query(statement, commit ? options : undefined);
      },
      exclusive: tx.exclusive,
    };
    const beforeCommit = (started: Promise<unknown>) => {
      if (committing) throw new Error('Before-commit work started after the COMMIT was sent');
      finishing.push(started);
    };
    try {
      const value = await work({ sql, lockHeld: false, beforeCommit });
      await Promise.all(finishing);
      return value;
    } finally {
      // Failed before all of it was awaited: none may end as an unhandled rejection.
      for (const started of finishing) started.catch(() => undefined);
    }
  });
}

interface Member {
  work: BatchWork<unknown>;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/** The writers of one entity waiting for the next transaction; `draining`: a transaction of theirs is open or about to be. */
interface Line {
  pending: Member[];
  draining: boolean;
}

/** By driver (a process may hold several databases: the tests do), then by entity key. */
const lines = new WeakMap<SqlDriver, Map<string, Line>>();

/** Runs the line's writers, batch after batch, until nobody waits; it never throws (each member is answered). */
async function drain(driver: SqlDriver, key: string, line: Line, byKey: Map<string, Line>, maxBatch: number): Promise<void> {
  try {
    while (line.pending.length > 0) {
      const batch = line.pending.splice(0, maxBatch);
      try {
        // The entity's in-process queue as well: commands naming several entities (promulgate) take it without batching.
        await inEntityQueues([key], () => runBatch(driver, batch));
      } catch (error) {
        // Only a defect gets here (runBatch answers every member): answer them rather than leave them waiting.
        for (const member of batch) member.reject(error);
      }
    }
  } finally {
    line.draining = false;
    if (line.pending.length === 0 && byKey.get(key) === line) byKey.delete(key);
  }
}

/** `running` once every member ran: their before-commit work is awaited, then the COMMIT. */
const FINISHING = -2;
const COMMITTING = -1;

const SAVEPOINT = Prisma.sql`SAVEPOINT entity_batch_member`;
const ROLLBACK_TO_SAVEPOINT = Prisma.sql`ROLLBACK TO SAVEPOINT entity_batch_member`;

async function runBatch(driver: SqlDriver, batch: readonly Member[]): Promise<void> {
  if (batch.length === 1) {
    const [member] = batch;
    await alone(driver, member!);
    return;
  }
  const outcomes: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = [];
  /** The member whose part runs now (FINISHING: all ran, their before-commit work is awaited; COMMITTING: then), and whether its savepoint was taken. */
  let running = COMMITTING;
  const savepoint: { state: 'pending' | 'taken' | 'refused' } = { state: 'pending' };
  let abandoned = false;
  let lockHeld = false;
  const began = Date.now();
  /** The running member's work: it may outlive the transaction (the time limit does not wait for it). */
  let current: Promise<unknown> = Promise.resolve();
  /** The succeeded members' before-commit work. */
  const finishing: Array<Promise<unknown>> = [];
  try {
    await driver.transaction(async (sql) => {
      for (const [index, member] of batch.entries()) {
        // A transaction given up (its time limit) starts no further member: they run again on their own.
        if (abandoned) throw new Error('abandoned batch');
        running = index;
        savepoint.state = 'pending';
        // Not awaited on its own, like BEGIN: the member's first statement goes right behind it, and fails if it failed.
        const taken = sql.query(SAVEPOINT);
        taken.then(
          () => (savepoint.state = 'taken'),
          () => (savepoint.state = 'refused'),
        );
        const memberSql: SqlExecutor = { query: async <Row>(statement: Prisma.Sql) => (await Promise.all([taken, sql.query<Row>(statement)]))[1], exclusive: sql.exclusive };
        const started: Array<Promise<unknown>> = [];
        try {
          current = member.work({ sql: memberSql, lockHeld, beforeCommit: (work) => started.push(work) });
          outcomes[index] = { ok: true, value: await current };
          lockHeld = true;
          finishing.push(...started);
        } catch (error) {
          // Its before-commit work is not awaited (its writes were rolled back): only kept from ending unhandled.
          for (const work of started) work.catch(() => undefined);
          // Refused: the transaction was unusable before this member began (nothing of it ran): the whole batch fails.
          await taken;
          if (error instanceof TransactionTimeoutError) throw error;
          // Refused: the transaction is unusable, and this member's own error is what it is told.
          await sql.query(ROLLBACK_TO_SAVEPOINT).catch(() => {
            throw error;
          });
          outcomes[index] = { ok: false, error };
        }
      }
      running = FINISHING;
      try {
        await Promise.all(finishing);
      } finally {
        for (const work of finishing) work.catch(() => undefined);
      }
      running = COMMITTING;
    });
  } catch (error) {
    abandoned = true;
    const committedUnknown = running === COMMITTING && !(error instanceof TransactionAbortedError || error instanceof TransactionTimeoutError);
    if (committedUnknown) {
      // COMMIT failed: as for a writer alone, whether it committed is unknown, and the write is reported as failed.
      for (const [index, member] of batch.entries()) {
        const outcome = outcomes[index];
        if (outcome && !outcome.ok) member.reject(outcome.error);
        else member.reject(error);
      }
      return;
    }
    // Not committed: the member that broke the transaction gets its error; everyone else runs again, alone. The time
    // limit is the transaction's, not the running member's: past the first member, the members before it spent part of
    // it, so the running one is not to blame and runs again alone too.
    const timedOut = error instanceof TransactionTimeoutError;
    // (Before-commit work that failed is nobody's in particular: each member alone then answers its own.)
    const blamed = running >= 0 && savepoint.state === 'taken' && !(timedOut && running > 0) ? running : -1;
    const spentMs = Date.now() - began;
    for (const [index, member] of batch.entries()) {
      if (index === blamed) member.reject(error);
      else if (timedOut && index === running && !(await settlesWithin(current, spentMs))) member.reject(error);
      else await alone(driver, member);
    }
    return;
  }
  for (const [index, member] of batch.entries()) {
    const outcome = outcomes[index]!;
    if (outcome.ok) member.resolve(outcome.value);
    else member.reject(outcome.error);
  }
}

/**
 * Whether `work` (a member's work, abandoned at the time limit) settles within `ms`: only then does the member run
 * again, so that two runs of it never overlap; work still busy a whole time limit later would outlive it alone too.
 */
async function settlesWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([work.then(() => true, () => true), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** A member in a transaction of its own; it never throws (the member is answered). */
async function alone(driver: SqlDriver, member: Member): Promise<void> {
  await inTransaction(driver, member.work).then(member.resolve, member.reject);
}
