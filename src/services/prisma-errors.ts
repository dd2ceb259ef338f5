import { TransactionTimeoutError } from '../db/sql-transaction.js';
import { Prisma } from '../generated/prisma/client.js';

/** True when `error` is a unique-constraint violation (a concurrent writer took the key first). */
export function isUniqueViolation(error: unknown): boolean {
  return error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002';
}

/**
 * Prisma's codes for "the database cannot be reached or dropped the connection" (P1xxx), for pool / connection
 * exhaustion, and P2028, its interactive transaction's time limit.
 */
const UNAVAILABLE_PRISMA_CODES = new Set(['P1001', 'P1002', 'P1008', 'P1011', 'P1017', 'P2024', 'P2028', 'P2037']);
/**
 * SQLSTATE classes 08 (connection exception) and 57P (operator intervention: shutdown, crash recovery), 53300 (too
 * many connections) and 55P03 (a lock wait past lock_timeout: another process held the row for the whole time limit).
 */
const UNAVAILABLE_SQLSTATE = /^(08|57P)|^53300$|^55P03$/;
const UNAVAILABLE_SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EPIPE', 'EHOSTUNREACH']);
/** What node-postgres, the driver adapters and PGlite say when there is no usable connection. */
const UNAVAILABLE_MESSAGE =
  /Connection terminated|timeout exceeded when trying to connect|Can't reach database server|Server has closed the connection|the database system is (starting up|shutting down|in recovery mode)|terminating connection due to administrator command|PGlite is closed|Client has encountered a connection error/i;

/**
 * True when `error` (or its cause chain) means the database is unreachable or
 * refuses work for now (or could not finish it in time, and rolled it back),
 * as opposed to a fault in a query: the request may succeed if retried later
 * (HTTP 503).
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (current instanceof Error && !seen.has(current)) {
    seen.add(current);
    if (current instanceof Prisma.PrismaClientInitializationError) return true;
    // A write that could not finish within the transaction's time limit (busy database, a lock held elsewhere) was
    // rolled back: nothing happened, and the same request may well succeed in a moment.
    if (current instanceof TransactionTimeoutError) return true;
    if (current instanceof Prisma.PrismaClientKnownRequestError && UNAVAILABLE_PRISMA_CODES.has(current.code)) return true;
    const { code, meta } = current as Error & { code?: unknown; meta?: { driverAdapterError?: unknown } };
    if (typeof code === 'string' && (UNAVAILABLE_SOCKET_CODES.has(code) || UNAVAILABLE_SQLSTATE.test(code))) return true;
    if (UNAVAILABLE_MESSAGE.test(current.message)) return true;
    current = meta?.driverAdapterError ?? current.cause;
  }
  return false;
}
