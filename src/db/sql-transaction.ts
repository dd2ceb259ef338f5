import type { PGlite, Transaction as PgliteTransaction } from '@electric-sql/pglite';
import pg from 'pg';
import type { Prisma } from '../generated/prisma/client.js';
import { DRIVER_RESULT_PARSERS, driverParameters, type SqlExecutor } from './sql-executor.js';

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
  /** The longest a transaction may run; past it, its next statement fails and it is rolled back. */
  transactionTimeoutMs: number;
}

/** Raised when a transaction outlived `transactionTimeoutMs`; it was rolled back. */
export class TransactionTimeoutError extends Error {}

/** Sees each statement sent (`Database.onStatement`); as with Prisma's query log, BEGIN is not reported, COMMIT and ROLLBACK are. */
type StatementListener = (sql: string) => void;

/** On PostgreSQL: a client of the pool (its connect timeout is `connectionWaitMs`). */
export function postgresSqlDriver(pool: pg.Pool, limits: SqlTransactionLimits, notify: StatementListener): SqlDriver {
  const types = { getTypeParser: (oid: number, format?: string) => DRIVER_RESULT_PARSERS[oid] ?? pg.types.getTypeParser(oid, (format ?? 'text') as 'text') };
  const query = async <Row>(statement: Prisma.Sql): Promise<Row[]> => {
    notify(statement.text);
    const result = await pool.query({ text: statement.text, values: driverParameters(statement.values), types } as pg.QueryConfig);
    return result.rows as Row[];
  };
  const transaction: SqlTransaction = async (work) => {
    const client = await pool.connect();
    const deadline = new Deadline(limits.transactionTimeoutMs);
    let broken: unknown = undefined;
    // A connection lost while checked out is reported here (unhandled, it would end the process); its query fails too.
    const onError = (error: unknown) => (broken = error);
    client.on('error', onError);
    try {
      await client.query('BEGIN');
      const executor: SqlExecutor = {
        query: async <Row>(statement: Prisma.Sql) => {
          deadline.check();
          notify(statement.text);
          const result = await client.query({ text: statement.text, values: driverParameters(statement.values), types } as pg.QueryConfig);
          return result.rows as Row[];
        },
      };
      let result;
      try {
        result = await work(executor);
        deadline.check();
      } catch (error) {
        notify('ROLLBACK');
        await client.query('ROLLBACK').catch((rollbackError: unknown) => (broken = rollbackError));
        throw error;
      }
      notify('COMMIT');
      try {
        await client.query('COMMIT');
      } catch (error) {
        // Whether it committed is unknown: the write is reported as failed, and the connection is not reused.
        broken = error;
        throw error;
      }
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
        };
        try {
          const result = await work(executor);
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
    } finally {
      clearTimeout(waitTimer);
      // Its outcome, if it ever starts, is nobody's concern any more.
      run.catch(() => undefined);
    }
  };
  return { query, transaction };
}

/** The transaction's time limit: past it, the next statement (or the commit) fails, which rolls the transaction back. */
class Deadline {
  private expired = false;
  private readonly timer: NodeJS.Timeout;
  constructor(private readonly ms: number) {
    this.timer = setTimeout(() => (this.expired = true), ms);
  }
  check(): void {
    if (this.expired) throw new TransactionTimeoutError(`The transaction ran longer than ${this.ms} ms and was rolled back`);
  }
  clear(): void {
    clearTimeout(this.timer);
  }
}
