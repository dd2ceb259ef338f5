import { setTimeout as sleep } from 'node:timers/promises';
import { isStalePreparedStatement } from '../../db/statement-names.js';
import { Prisma } from '../../generated/prisma/client.js';

/** PostgreSQL's serialization failure and deadlock codes: the transaction was rolled back and may simply run again. */
const RETRYABLE_SQLSTATES = new Set(['40001', '40P01']);

/**
 * A transaction that failed only because of a concurrent one: PostgreSQL
 * rolled it back (deadlock, serialization failure), so running it again is
 * safe. Prisma reports both as P2034; a raw query's error carries the
 * SQLSTATE further down its cause chain. A prepared statement made stale by
 * a migration is retried too.
 */
export function isRetryableTransactionError(error: unknown): boolean {
  for (let current: unknown = error, depth = 0; current && depth < 6; depth++) {
    if (current instanceof Prisma.PrismaClientKnownRequestError && current.code === 'P2034') return true;
    const record = current as { code?: unknown; originalCode?: unknown; cause?: unknown; meta?: { driverAdapterError?: unknown } };
    if (RETRYABLE_SQLSTATES.has(String(record.code)) || RETRYABLE_SQLSTATES.has(String(record.originalCode))) return true;
    // A prepared statement that a migration (another process's, in a rolling upgrade) made stale: the transaction was
    // rolled back and its connection discarded (src/db/statement-names.ts), so the next attempt prepares the new text.
    if (isStalePreparedStatement(current)) return true;
    current = record.meta?.driverAdapterError ?? record.cause;
  }
  return false;
}

/**
 * A command the transaction found stale (what it read before the lock moved
 * on meanwhile): the pipeline runs it again from the start, like a deadlock.
 */
export class StaleCommandError extends Error {}

export interface RetryPolicy {
  /** Further attempts after the first. */
  retries: number;
  /** The first back-off; each further one doubles, with full jitter. */
  baseDelayMs: number;
}

/**
 * Runs `attempt` and runs it again, at most `policy.retries` more times,
 * when it fails with a retryable error, after a random back-off ("full
 * jitter") so that the colliding writers do not collide again in step.
 */
export async function withRetries<T>(policy: RetryPolicy, attempt: () => Promise<T>): Promise<T> {
  for (let failures = 0; ; failures++) {
    try {
      return await attempt();
    } catch (error) {
      const retryable = isRetryableTransactionError(error) || error instanceof StaleCommandError;
      if (!retryable || failures >= policy.retries) throw error;
      await sleep(Math.random() * policy.baseDelayMs * 2 ** failures);
    }
  }
}
