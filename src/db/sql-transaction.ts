import type { PGlite, Transaction as PgliteTransaction } from '@electric-sql/pglite';
import type pg from 'pg';
import type { Prisma } from '../generated/prisma/client.js';
import { loadPg } from './pg-module.js';
import { DRIVER_RESULT_PARSERS, driverParameters, type SqlExecutor, type StatementOptions } from './sql-executor.js';
import { isStalePreparedStatement, StatementNames } from './statement-names.js';

/**
 * A transaction on the driver's own connection, for statements written by
 * hand (the write pipeline's): BEGIN, the statements, COMMIT, without
 * Prisma's interactive transaction in between, whose client costs ~0.2-0.4
 * ms of CPU per statement against ~0.06 ms through `pg` directly
 * (docs/performance.md). `work` may run again only by its caller's choice:
 * a failing statement rolls the transaction back and rejects; the promise
 * resolves only once COMMIT has succeeded, so an acknowledged write is
 * committed (and a write whose COMMIT failed is reported as failed).
 */
export type SqlTransaction = <T>(work: (sql: SqlExecutor) => Promise<T>) => Promise<T>;

/**
 * Hand-written SQL on the driver's own connections: single statements
 * (`query`, each its own transaction: authentication's read, say) and
 * transactions (`transaction`).
 */
export interface SqlDriver extends SqlExecutor {
  readonly transaction: SqlTransaction;
}

export interface SqlTransactionLimits {
  /** How long to wait for the connection (the pool's, or PGlite's only one). */
  connectionWaitMs: number;
  /**
   * The longest a transaction may run; past it, it is rolled back and fails with a TransactionTimeoutError: at its
   * next statement, or at once when its work is busy elsewhere (the work's outcome is then ignored); on PostgreSQL a
   * statement waiting for a lock waits no longer than this either (`lock_timeout`).
   */
  transactionTimeoutMs: number;
}

/** Raised when a transaction outlived `transactionTimeoutMs`; it was rolled back. */
export class TransactionTimeoutError extends Error {}

/** Raised when COMMIT rolled back instead: a statement of the transaction had failed (and its work went on regardless). */
export class TransactionAbortedError extends Error {
  constructor(options?: ErrorOptions) {
    super('The transaction was rolled back, not committed: one of its statements had failed', options);
  }
}

/** Sees each statement sent (`Database.onStatement`); as with Prisma's query log, BEGIN is not reported, COMMIT and ROLLBACK are. */
type StatementListener = (sql: string) => void;

/** SQLSTATE 25P02: the transaction was aborted by a failed statement (PGlite's error for a COMMIT that rolled back). */
const IN_FAILED_TRANSACTION = '25P02';

/** SQLSTATE 55P03: a lock wait ran past `lock_timeout`. */
const LOCK_NOT_AVAILABLE = '55P03';

/**
 * On PostgreSQL: a client of the pool (its connect timeout is `connectionWaitMs`). With `preparedStatements` (the
 * default), recurring statements are sent as named prepared statements (`StatementNames`): off behind a transaction
 * pooler that does not keep them (PgBouncer before 1.21, or without `max_prepared_statements`).
 */
export function postgresSqlDriver(
  pool: pg.Pool,
  limits: SqlTransactionLimits,
  notify: StatementListener,
  options: { preparedStatements: boolean } = { preparedStatements: true },
): SqlDriver {
  const pgTypes = loadPg().types;
  const types = { getTypeParser: (oid: number, format?: string) => DRIVER_RESULT_PARSERS[oid] ?? pgTypes.getTypeParser(oid, (format ?? 'text') as 'text') };
  const names = options.preparedStatements ? new StatementNames() : undefined;
  const queryConfig = (statement: Prisma.Sql): pg.QueryConfig => {
    const name = names?.nameOf(statement.text);
    return { text: statement.text, values: driverParameters(statement.values), types, ...(name ? { name } : {}) } as pg.QueryConfig;
  };
  const query = async <Row>(statement: Prisma.Sql): Promise<Row[]> => {
    notify(statement.text);
    const client = await pool.connect();
    let broken: Error | undefined;
    try {
      const result = await client.query(queryConfig(statement));
      return result.rows as Row[];
    } catch (error) {
      if (isStalePreparedStatement(error)) broken = error as Error;
      throw error;
    } finally {
      client.release(broken);
    }
  };
  const transaction: SqlTransaction = async (work) => {
    const client = await pool.connect();
    const deadline = new Deadline(limits.transactionTimeoutMs);
    let broken: unknown = undefined;
    // A connection lost while checked out is reported here (unhandled, it would end the process); its query fails too.
    const onError = (error: unknown) => (broken = error);
    client.on('error', onError);
    try {
      // A statement waiting for a lock another process holds (an entity's row, a blob's advisory lock) waits no longer than
      // the transaction may run: the deadline alone is checked between statements, and a ROLLBACK would queue behind it.
      // Not awaited on its own: the pool's connections pipeline (database.ts), so the first statement follows BEGIN on the
      // wire without waiting for its answer. A writer holds its entity's queue from here on (entity-queue.ts), so every
      // round trip saved shortens the time the entity's other writers wait.
      const begun = client.query(`BEGIN; SET LOCAL lock_timeout = ${Math.max(1, Math.ceil(limits.transactionTimeoutMs))}`);
      begun.catch(() => undefined);
      /** The COMMIT, once sent right behind the work's last statement (`commit`); the work may send nothing after it. */
      let committing: Promise<pg.QueryResult> | undefined;
      const executor: SqlExecutor = {
        query: async <Row>(statement: Prisma.Sql, options?: StatementOptions) => {
          if (committing) throw new Error('A statement after the one the transaction commits with');
          deadline.check();
          notify(statement.text);
          try {
            // Queued behind BEGIN (if still unanswered): a failed BEGIN fails it too, so nothing runs outside the transaction.
            const sent = client.query(queryConfig(statement));
            if (options?.commit) {
              // PostgreSQL commits (or, when the statement failed, rolls back) while the work finishes with the rows.
              notify('COMMIT');
              committing = client.query('COMMIT');
              committing.catch(() => undefined);
            }
            const [, result] = await Promise.all([begun, sent]);
            return result.rows as Row[];
          } catch (error) {
            if (isStalePreparedStatement(error)) broken = error;
            if ((error as { code?: unknown }).code === LOCK_NOT_AVAILABLE) throw deadline.error({ cause: error });
            throw error;
          }
        },
      };
      const running = work(executor);
      let result;
      try {
        // Work that outlives the deadline without sending a statement (a blob store that hangs) is not waited for: the
        // transaction is rolled back then (after any statement in flight), releasing its locks and the connection.
        result = await deadline.race(running);
        // Work that sent no statement has not seen BEGIN's answer yet.
        await begun;
        if (!committing) deadline.check();
      } catch (error) {
        if (committing && error instanceof TransactionTimeoutError) {
          // The COMMIT is on its way, so it decides, not the time limit: the work (only what it makes of its last rows) is
          // waited for.
          result = await settledWith(
            running,
            committing.catch((commitError: unknown) => (broken = commitError)),
          );
        } else {
          if (committing) await committing.catch((commitError: unknown) => (broken = commitError));
          else {
            notify('ROLLBACK');
            await client.query('ROLLBACK').catch((rollbackError: unknown) => (broken = rollbackError));
          }
          throw error;
        }
      }
      if (!committing) notify('COMMIT');
      let committed;
      try {
        committed = await (committing ?? client.query('COMMIT'));
      } catch (error) {
        // Whether it committed is unknown: the write is reported as failed, and the connection is not reused.
        broken = error;
        throw error;
      }
      // COMMIT of a transaction a failed statement aborted (work that caught the error and went on) rolls back instead.
      if (committed.command === 'ROLLBACK') throw new TransactionAbortedError();
      return result;
    } finally {
      deadline.clear();
      client.removeListener('error', onError);
      client.release(broken instanceof Error ? broken : broken === undefined ? undefined : true);
    }
  };
  return { query, transaction };
}

/**
 * On PGlite: its own `transaction()`, which holds its only connection (as
 * Prisma's adapter does) so no other query runs inside it; waiting for it
 * is bounded by `connectionWaitMs`.
 */
export function pgliteSqlDriver(pglite: PGlite, limits: SqlTransactionLimits, notify: StatementListener): SqlDriver {
  const options = { parsers: DRIVER_RESULT_PARSERS };
  const query = async <Row>(statement: Prisma.Sql): Promise<Row[]> => {
    notify(statement.text);
    return (await pglite.query<Row>(statement.text, driverParameters(statement.values), options)).rows;
  };
  const transaction = async <T>(work: (sql: SqlExecutor) => Promise<T>) => {
    let gaveUp = false;
    let waitTimer: NodeJS.Timeout | undefined;
    const waited = new Promise<never>((_, reject) => {
      waitTimer = setTimeout(() => {
        gaveUp = true;
        reject(new Error(`timeout exceeded when trying to connect: the embedded database was busy for ${limits.connectionWaitMs} ms`));
      }, limits.connectionWaitMs);
    });
    waited.catch(() => undefined);
    const run = pglite.transaction(async (tx: PgliteTransaction) => {
      clearTimeout(waitTimer);
      // Started after its caller gave up waiting: roll back at once.
      if (gaveUp) throw new Error('abandoned: the caller gave up waiting for the embedded database');
      const deadline = new Deadline(limits.transactionTimeoutMs);
      try {
        const executor: SqlExecutor = {
          query: async <Row>(statement: Prisma.Sql) => {
            deadline.check();
            notify(statement.text);
            return (await tx.query<Row>(statement.text, driverParameters(statement.values), options)).rows;
          },
          // PGlite's transaction holds its only connection: nothing else commits meanwhile.
          exclusive: true,
        };
        try {
          // As on PostgreSQL: past the deadline, the transaction is rolled back (and PGlite's only connection freed) without waiting for the work.
          const result = await deadline.race(work(executor));
          deadline.check();
          notify('COMMIT');
          return result;
        } catch (error) {
          notify('ROLLBACK');
          throw error;
        }
      } finally {
        deadline.clear();
      }
    });
    try {
      return await Promise.race([run, waited]);
    } catch (error) {
      // PGlite's own answer to a COMMIT that rolled back (its work went on after a failed statement): as on PostgreSQL.
      const failed = error as { code?: unknown; query?: unknown };
      if (failed.code === IN_FAILED_TRANSACTION && failed.query === 'COMMIT') throw new TransactionAbortedError({ cause: error });
      throw error;
    } finally {
      clearTimeout(waitTimer);
      // Its outcome, if it ever starts, is nobody's concern any more.
      run.catch(() => undefined);
    }
  };
  return { query, transaction };
}

/** `work`'s outcome, once `commit` (its COMMIT) settled too: a connection goes back to the pool only with its transaction over. */
async function settledWith<T>(work: Promise<T>, commit: Promise<unknown>): Promise<T> {
  try {
    return await work;
  } finally {
    await commit.catch(() => undefined);
  }
}

/**
 * The transaction's time limit: past it, the work's next statement (or the
 * commit) fails, and the work is no longer waited for (`race`): either way
 * the transaction is rolled back.
 */
class Deadline {
  private expired = false;
  private readonly timer: NodeJS.Timeout;
  private readonly expiry: Promise<never>;
  constructor(private readonly ms: number) {
    let expire!: (error: TransactionTimeoutError) => void;
    this.expiry = new Promise<never>((_, reject) => (expire = reject));
    this.expiry.catch(() => undefined);
    this.timer = setTimeout(() => {
      this.expired = true;
      expire(this.error());
    }, ms);
  }
  check(): void {
    if (this.expired) throw this.error();
  }
  /** `work`, or a TransactionTimeoutError once the deadline passes first (the work's own outcome is then ignored). */
  race<T>(work: Promise<T>): Promise<T> {
    work.catch(() => undefined);
    return Promise.race([work, this.expiry]);
  }
  clear(): void {
    clearTimeout(this.timer);
  }
  error(options?: ErrorOptions): TransactionTimeoutError {
    return new TransactionTimeoutError(`The transaction ran longer than ${this.ms} ms and was rolled back`, options);
  }
}
