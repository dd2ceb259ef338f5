import type { Prisma } from '../generated/prisma/client.js';

/**
 * Runs hand-written SQL (`Prisma.sql` templates) and returns the rows: what
 * the write pipeline's commands need of a transaction. Implemented by a
 * transaction on the driver's own connection (`Database.sql.transaction`: a
 * `pg` pool client, or PGlite's `transaction()`) and, for the few writes
 * outside the pipeline that run in Prisma's interactive transaction
 * (registerName, reserveName, an upload's blob lock, garbage collection),
 * and for reads through Prisma's client, by that transaction or client
 * (`prismaExecutor`).
 *
 * Rows look alike whichever runs them: int8 columns as `bigint`,
 * `timestamp` (without time zone, as Prisma stores UTC) as a `Date`, as
 * `$queryRaw` returns them; json is parsed by the drivers, while
 * `$queryRaw` may return it as text (read it with both in mind, as
 * locked-read.ts does).
 */
export interface SqlExecutor {
  query<Row>(statement: Prisma.Sql, options?: StatementOptions): Promise<Row[]>;
  /**
   * No other transaction can commit while this one is open: PGlite's, which
   * holds the store's only connection. Elsewhere another connection may
   * commit between the moment a statement takes its snapshot and the moment
   * it locks a row, so what the statement read besides the row can be older
   * than the lock (locked-read.ts).
   */
  readonly exclusive?: boolean;
}

export interface StatementOptions {
  /**
   * The transaction's last statement: on PostgreSQL its COMMIT is sent right
   * behind it, without waiting for its rows, so the database commits while
   * the work finishes with them (a failed statement makes it a rollback).
   * Nothing may be sent after it, and the work may not fail after it: the
   * write is committed. Executors that cannot (PGlite's, a batched writer's,
   * Prisma's) ignore it and commit as usual.
   */
  commit?: boolean;
}

/** An executor over Prisma's client or one of its interactive transactions. */
export function prismaExecutor(client: { $queryRaw<T = unknown>(query: Prisma.Sql): Prisma.PrismaPromise<T> }): SqlExecutor {
  return { query: <Row>(statement: Prisma.Sql) => client.$queryRaw<Row[]>(statement) };
}

const INT8_OID = 20;
const TIMESTAMP_OID = 1114;

/** Result parsers (by type oid) that make a driver's rows look like `$queryRaw`'s (see SqlExecutor). */
export const DRIVER_RESULT_PARSERS: Readonly<Record<number, (text: string) => unknown>> = {
  [INT8_OID]: (text) => BigInt(text),
  // Stored as UTC wall time (Prisma's convention for DateTime columns).
  [TIMESTAMP_OID]: (text) => new Date(`${text.replace(' ', 'T')}Z`),
};

/**
 * A statement's parameters as the driver should send them: dates as UTC
 * ISO strings (a `timestamp` column ignores the zone, so the wall time must
 * be UTC's, as Prisma writes it; node-postgres would send local time) and
 * bigints as text, inside arrays too.
 */
export function driverParameters(values: readonly unknown[]): unknown[] {
  return values.map(driverParameter);
}

function driverParameter(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'bigint') return value.toString();
  if (Array.isArray(value)) return value.map(driverParameter);
  return value;
}
