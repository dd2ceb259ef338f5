import type { BlobStore, StoredBlob } from '../../blobs/blob-store.js';
import type { PrismaClient } from '../../db/database.js';

export interface GarbageReport {
  kept: number;
  removed: number;
  staging: number;
}

const BATCH = 500;

/**
 * Removes blobs that no Revision, ResourceRevision or live (unused,
 * unexpired) Upload references, and staging leftovers. Anything younger
 * than `graceMs` is kept: a push or upload in flight writes its blob before
 * the row that references it commits, in this process or another one.
 */
export async function collectGarbage(prisma: PrismaClient, blobs: BlobStore, options: { now: Date; graceMs: number }): Promise<GarbageReport> {
  const cutoff = new Date(options.now.getTime() - options.graceMs);
  const report: GarbageReport = { kept: 0, removed: 0, staging: await blobs.removeStaleStaging(cutoff) };
  let batch: StoredBlob[] = [];
  const flush = async () => {
    const candidates = batch.filter((blob) => blob.modifiedAt < cutoff);
    report.kept += batch.length - candidates.length;
    batch = [];
    if (candidates.length === 0) return;
    const referenced = await referencedAmong(prisma, candidates.map((blob) => blob.sha384), options.now);
    for (const blob of candidates) {
      if (referenced.has(blob.sha384)) {
        report.kept += 1;
      } else {
        await blobs.remove(blob.sha384);
        report.removed += 1;
      }
    }
  };
  for await (const blob of blobs.list()) {
    batch.push(blob);
    if (batch.length >= BATCH) await flush();
  }
  await flush();
  return report;
}

async function referencedAmong(prisma: PrismaClient, digests: string[], now: Date): Promise<Set<string>> {
  const where = { sha384: { in: digests } };
  const [revisions, resourceRevisions, uploads] = await Promise.all([
    prisma.revision.findMany({ where, select: { sha384: true }, distinct: ['sha384'] }),
    prisma.resourceRevision.findMany({ where, select: { sha384: true }, distinct: ['sha384'] }),
    prisma.upload.findMany({ where: { ...where, usedAt: null, expiresAt: { gt: now } }, select: { sha384: true } }),
  ]);
  return new Set([...revisions, ...resourceRevisions, ...uploads].map((row) => row.sha384));
}
