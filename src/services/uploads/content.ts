import { Readable } from 'node:stream';
import type { BlobDigest, BlobStore, ByteSource } from '../../blobs/blob-store.js';
import { BlobTooLargeError } from '../../blobs/blob-store.js';
import { Prisma } from '../../generated/prisma/client.js';
import type { SqlExecutor } from '../../db/sql-executor.js';
import { ConflictError, ValidationError } from '../../domain/errors.js';
import { lockBlob } from '../blobs/blob-lock.js';
import type { Actor, ServiceContext } from '../context.js';

/** Content for push / pushResource: a multipart file, or a streamed upload's id. */
export interface ContentInput {
  file?: File | null;
  uploadId?: string | null;
}

/**
 * Content being pushed. A multipart file is staged aside; an upload is
 * already in the blob store. Either way `claim`, in the transaction that
 * references the blob, makes sure the blob is in place when it commits and
 * that the collector cannot remove it in between (see collect-garbage.ts).
 */
export interface PushedContent extends BlobDigest {
  /** The multipart file's name, when there is one (a bundle's default name). */
  filename: string | null;
  source(): Promise<ByteSource>;
  /** The content itself when it is in memory (a multipart file): reading it from there is cheaper than from `source`. */
  bytes: Buffer | null;
  /**
   * Takes the blob's lock (held until `tx` ends), then puts a staged file in
   * place, or checks that an upload's blob is still there and marks the
   * upload used. Call it in the transaction that writes the row naming the
   * blob; the row commits with the blob in place.
   */
  claim(tx: SqlExecutor): Promise<void>;
  /** The upload named, if any: a push marks it used in the statement that writes the revision. */
  uploadId: string | null;
  /**
   * The rest of `claim` once the caller's own statement took the blob's lock
   * (push): puts a staged file in place, or checks that the upload's blob is
   * still there.
   */
  placeLocked(): Promise<void>;
  /** Drops a staged file that was not put in place; a no-op otherwise. */
  discard(): Promise<void>;
}

/** Fetches the content a push names, refusing (ValidationError) anything but exactly one live source within `maxBytes`. */
export async function acquireContent(
  ctx: ServiceContext,
  actor: Actor,
  input: ContentInput,
  options: { fileField: string; maxBytes: number; what: string },
): Promise<PushedContent> {
  const { fileField, maxBytes, what } = options;
  const file = input.file ?? null;
  const uploadId = input.uploadId ?? null;
  if ((file === null) === (uploadId === null)) {
    throw new ValidationError(
      `Give exactly one of "${fileField}" (a file in a multipart request) or "uploadId" (from POST /uploads) with the ${what}`,
      fileField,
    );
  }
  if (file !== null) {
    if (file.size > maxBytes) throw tooLarge(what, file.size, maxBytes, fileField);
    let staged;
    // Yoga has already read the multipart file into memory (within STORE_MAX_MULTIPART_BYTES).
    const bytes = Buffer.from(await file.arrayBuffer());
    try {
      staged = await ctx.blobs.stage([bytes], maxBytes);
    } catch (error) {
      if (error instanceof BlobTooLargeError) throw tooLarge(what, file.size, maxBytes, fileField);
      throw error;
    }
    return {
      sha384: staged.sha384,
      sha256: staged.sha256,
      size: staged.size,
      filename: file.name || null,
      source: async () => staged.source(),
      bytes,
      claim: async (tx) => {
        await lockBlob(tx, staged.sha384);
        await staged.commit();
      },
      uploadId: null,
      placeLocked: () => staged.commit(),
      discard: () => staged.discard(),
    };
  }
  const upload = await ctx.prisma.upload.findUnique({ where: { id: uploadId! } });
  if (!upload || upload.userId !== actor.userId || upload.usedAt !== null || upload.expiresAt <= ctx.now()) throw uploadGone(uploadId!, what);
  const size = Number(upload.size);
  if (size > maxBytes) throw tooLarge(what, size, maxBytes, 'uploadId');
  const blobStillThere = async () => {
    // The collector may have removed an expired upload's blob before we took the lock.
    if ((await ctx.blobs.size(upload.sha384)) === null) throw uploadGone(uploadId!, what);
  };
  return {
    sha384: upload.sha384,
    sha256: upload.sha256,
    size,
    filename: null,
    bytes: null,
    source: () => uploadSource(ctx.blobs, upload.sha384, () => uploadGone(uploadId!, what)),
    discard: async () => undefined,
    claim: async (tx) => {
      await lockBlob(tx, upload.sha384);
      await blobStillThere();
      // Single use: of two concurrent pushes naming one upload, one wins.
      const marked = await tx.query(Prisma.sql`UPDATE "Upload" SET "usedAt" = ${ctx.now()} WHERE "id" = ${upload.id} AND "usedAt" IS NULL RETURNING 1 AS "marked"`);
      if (marked.length !== 1) throw uploadRace(upload.id);
    },
    uploadId: upload.id,
    placeLocked: blobStillThere,
  };
}

/** Single use: of two concurrent pushes naming one upload, one wins; this is the other's answer. */
export function uploadRace(uploadId: string): ConflictError {
  return new ConflictError(`Upload "${uploadId}" was used by another request at the same time; upload again`);
}

/**
 * An upload's blob, read outside any lock: an upload that expires while the
 * push reads it may be collected meanwhile (the claim would refuse it
 * anyway). A read that fails because the blob is gone answers `gone()`, the
 * same ValidationError as the claim, not an unexpected error.
 */
async function uploadSource(blobs: BlobStore, sha384: string, gone: () => ValidationError): Promise<ByteSource> {
  const explain = async (error: unknown): Promise<unknown> => ((await blobs.size(sha384).catch(() => 0)) === null ? gone() : error);
  let source: ByteSource;
  try {
    source = await blobs.source(sha384);
  } catch (error) {
    throw await explain(error);
  }
  return {
    size: source.size,
    openRange: (start, end) => {
      const stream = source.openRange(start, end);
      async function* read(): AsyncGenerator<Uint8Array> {
        try {
          yield* stream;
        } catch (error) {
          throw await explain(error);
        } finally {
          stream.destroy();
        }
      }
      return Readable.from(read(), { objectMode: false });
    },
  };
}

function uploadGone(uploadId: string, what: string): ValidationError {
  return new ValidationError(`Upload "${uploadId}" is unknown, already used, expired, or not yours; upload the ${what} again with POST /uploads`, 'uploadId');
}

function tooLarge(what: string, size: number, maxBytes: number, field: string): ValidationError {
  return new ValidationError(`The ${what} is ${size} bytes; the limit is ${maxBytes} bytes`, field);
}
