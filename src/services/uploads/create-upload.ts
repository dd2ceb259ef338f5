import { prismaExecutor } from '../../db/sql-executor.js';
import { randomBytes } from 'node:crypto';
import { requireSignedIn } from '../accounts/require.js';
import { recordAudit } from '../audit.js';
import { lockBlob } from '../blobs/blob-lock.js';
import type { ServiceContext } from '../context.js';

export interface UploadReceipt {
  uploadId: string;
  sha384: string;
  size: number;
  expiresAt: Date;
}

/**
 * Streams a body into the blob store while hashing it (BlobTooLargeError
 * past STORE_MAX_UPLOAD_BYTES), then records it as an upload that one later
 * push or pushResource by the same user may consume before it expires.
 */
export async function createUpload(ctx: ServiceContext, body: AsyncIterable<Uint8Array>): Promise<UploadReceipt> {
  const actor = requireSignedIn(ctx);
  const staged = await ctx.blobs.stage(body, ctx.settings.maxUploadBytes);
  const now = ctx.now();
  const expiresAt = new Date(now.getTime() + ctx.settings.uploadTtlSeconds * 1000);
  const uploadId = `upl_${randomBytes(18).toString('base64url')}`;
  try {
    await ctx.prisma.$transaction(async (tx) => {
      // Put in place under the blob's lock, in the transaction that records the upload (see collect-garbage.ts).
      await lockBlob(prismaExecutor(tx), staged.sha384);
      await staged.commit();
      await tx.upload.create({
        data: { id: uploadId, userId: actor.userId, sha384: staged.sha384, sha256: staged.sha256, size: BigInt(staged.size), createdAt: now, expiresAt },
      });
      await recordAudit(tx, actor, { action: 'upload', target: uploadId, after: { sha384: staged.sha384, size: staged.size } }, now);
    });
  } finally {
    await staged.discard();
  }
  return { uploadId, sha384: staged.sha384, size: staged.size, expiresAt };
}
