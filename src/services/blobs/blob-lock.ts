import { Prisma } from '../../generated/prisma/client.js';
import type { SqlExecutor } from '../../db/sql-executor.js';

/**
 * The first key of the store's per-blob advisory locks (the two-key form
 * `pg_advisory_xact_lock(int, int)`, a key space apart from Prisma Migrate's
 * single-key lock). The second key is the blob's digest folded to 32 bits:
 * two blobs that share it only wait for each other, which is never unsafe.
 */
export const BLOB_LOCK_CLASS = 0x626c6f62; // "blob"
/** The collector's "one process collects at a time" lock: `pg_try_advisory_xact_lock(COLLECTOR_LOCK_CLASS, 0)`. */
export const COLLECTOR_LOCK_CLASS = 0x67636f6c; // "gcol"

/** The 32-bit second key of a blob's lock. */
export function blobLockKey(sha384: string): number {
  return Number.parseInt(sha384.slice(0, 8), 16) | 0;
}

/**
 * Takes the blob's lock until `tx` ends. Both sides of the collector's
 * safety argument (see collect-garbage.ts) take it: whoever puts a blob in
 * place and references it, and the collector before it deletes one. It is
 * the last lock a transaction takes, so it closes no lock cycle.
 */
export async function lockBlob(tx: SqlExecutor, sha384: string): Promise<void> {
  // pg_advisory_xact_lock returns void, which the driver adapters do not map; select a constant instead.
  await tx.query(Prisma.sql`SELECT 1 AS locked FROM (SELECT pg_advisory_xact_lock(${BLOB_LOCK_CLASS}::int, ${blobLockKey(sha384)}::int)) AS lock`);
}
