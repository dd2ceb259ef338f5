import { prismaExecutor } from '../../db/sql-executor.js';
import type { BlobStore, StoredBlob } from '../../blobs/blob-store.js';
import type { Database, PrismaClient } from '../../db/database.js';
import { COLLECTOR_LOCK_CLASS, lockBlob } from './blob-lock.js';

export interface GarbageReport {
  /** Another process was collecting (PostgreSQL): this run did nothing. */
  busy: boolean;
  kept: number;
  removed: number;
  staging: number;
}

const BATCH = 500;
/** A staged file lives for one request; younger ones may still be in use whatever the grace. */
const STAGING_MIN_AGE_MS = 15 * 60 * 1000;

/**
 * Removes blobs that no Revision, ResourceRevision or live (unused,
 * unexpired) Upload references, when older than `graceMs`, and staging
 * leftovers.
 *
 * Why it never removes a blob a commit references or is about to reference:
 * 1. Every writer puts a blob in place (links its staged file onto the
 *    blob's path, or checks that an upload's blob is still there) only while
 *    holding the blob's advisory lock, inside the transaction that writes the
 *    row naming the blob (Revision, ResourceRevision or Upload); the lock is
 *    held until that transaction commits or rolls back (`PushedContent.claim`,
 *    `createUpload`).
 * 2. The collector removes a blob only inside a transaction holding the same
 *    lock, after reading the references again under it.
 * 3. So the two never interleave: either the writer committed first, and the
 *    collector's re-read (a fresh statement, READ COMMITTED) sees its row and
 *    keeps the blob; or the collector removed the blob first, and the writer,
 *    which takes the lock after, links its own copy into place (a multipart
 *    push or an upload) or finds the upload's blob gone and refuses the push
 *    with a ValidationError instead of committing a dangling reference.
 *    A writer that rolls back leaves an unreferenced blob, which is garbage.
 * 4. Once referenced, a blob stays referenced: revisions and resource
 *    revisions are never deleted, and a used upload's blob is referenced by
 *    the revision written in the same transaction.
 * Timestamps play no part in the argument: the grace only spares the work of
 * collecting blobs that were just written. On PGlite transactions run one at
 * a time, which gives the same exclusion.
 *
 * One process collects at a time: on PostgreSQL a run holds a transaction
 * with `pg_try_advisory_xact_lock(COLLECTOR_LOCK_CLASS, 0)` for its length
 * and a second run answers `busy` at once. PGlite has a single process.
 */
export async function collectGarbage(db: Pick<Database, 'prisma' | 'kind'>, blobs: BlobStore, options: { now: Date; graceMs: number }): Promise<GarbageReport> {
  if (db.kind === 'pglite') return collect(db.prisma, blobs, options);
  return db.prisma.$transaction(
    async (tx) => {
      const [row] = await tx.$queryRaw<Array<{ acquired: boolean }>>`SELECT pg_try_advisory_xact_lock(${COLLECTOR_LOCK_CLASS}::int, 0) AS acquired`;
      if (!row?.acquired) return { busy: true, kept: 0, removed: 0, staging: 0 };
      return collect(db.prisma, blobs, options);
    },
    // The transaction only holds the lock; the run's length depends on the number of blobs.
    { maxWait: 30_000, timeout: 24 * 3600 * 1000 },
  );
}

async function collect(prisma: PrismaClient, blobs: BlobStore, options: { now: Date; graceMs: number }): Promise<GarbageReport> {
  const cutoff = new Date(options.now.getTime() - options.graceMs);
  const stagingCutoff = new Date(options.now.getTime() - Math.max(options.graceMs, STAGING_MIN_AGE_MS));
  const report: GarbageReport = { busy: false, kept: 0, removed: 0, staging: await blobs.removeStaleStaging(stagingCutoff) };
  let batch: StoredBlob[] = [];
  const flush = async () => {
    const candidates = batch.filter((blob) => blob.modifiedAt < cutoff);
    report.kept += batch.length - candidates.length;
    batch = [];
    if (candidates.length === 0) return;
    // A first, lock-free pass over the batch; what looks unreferenced is checked again under its lock.
    const referenced = await referencedAmong(prisma, candidates.map((blob) => blob.sha384), options.now);
    for (const blob of candidates) {
      if (!referenced.has(blob.sha384) && (await removeIfUnreferenced(prisma, blobs, blob.sha384, options.now))) report.removed += 1;
      else report.kept += 1;
    }
  };
  for await (const blob of blobs.list()) {
    batch.push(blob);
    if (batch.length >= BATCH) await flush();
  }
  await flush();
  return report;
}

/** Under the blob's lock: reads its references again and removes it when there are none. */
async function removeIfUnreferenced(prisma: PrismaClient, blobs: BlobStore, sha384: string, now: Date): Promise<boolean> {
  return prisma.$transaction(async (tx) => {
    await lockBlob(prismaExecutor(tx), sha384);
    if ((await referencedAmong(tx, [sha384], now)).size > 0) return false;
    await blobs.remove(sha384);
    return true;
  });
}

type Reader = Pick<PrismaClient, 'revision' | 'resourceRevision' | 'upload'>;

async function referencedAmong(prisma: Reader, digests: string[], now: Date): Promise<Set<string>> {
  const where = { sha384: { in: digests } };
  // One after another: inside a transaction the statements share one connection.
  const revisions = await prisma.revision.findMany({ where, select: { sha384: true }, distinct: ['sha384'] });
  const resourceRevisions = await prisma.resourceRevision.findMany({ where, select: { sha384: true }, distinct: ['sha384'] });
  const uploads = await prisma.upload.findMany({ where: { ...where, usedAt: null, expiresAt: { gt: now } }, select: { sha384: true } });
  return new Set([...revisions, ...resourceRevisions, ...uploads].map((row) => row.sha384));
}
