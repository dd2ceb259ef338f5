import type { BlobDigest, ByteSource } from '../../blobs/blob-store.js';
import { BlobTooLargeError } from '../../blobs/blob-store.js';
import type { Tx } from '../../db/database.js';
import { ConflictError, ValidationError } from '../../domain/errors.js';
import type { Actor, ServiceContext } from '../context.js';

/** Content for push / pushResource: a multipart file, or a streamed upload's id. */
export interface ContentInput {
  file?: File | null;
  uploadId?: string | null;
}

/**
 * Content being pushed. A multipart file is staged aside until `commit`; an
 * upload is already in the blob store and is marked used by `markUsed`, in
 * the transaction that references it.
 */
export interface PushedContent extends BlobDigest {
  /** The multipart file's name, when there is one (a bundle's default name). */
  filename: string | null;
  source(): Promise<ByteSource>;
  /** Puts the blob in place; call before the transaction that references it. */
  commit(): Promise<void>;
  /** Drops a staged file that was not committed; a no-op otherwise. */
  discard(): Promise<void>;
  markUsed(tx: Tx): Promise<void>;
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
    try {
      // Yoga has already read the multipart file into memory (within STORE_MAX_MULTIPART_BYTES).
      staged = await ctx.blobs.stage([new Uint8Array(await file.arrayBuffer())], maxBytes);
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
      commit: () => staged.commit(),
      discard: () => staged.discard(),
      markUsed: async () => undefined,
    };
  }
  const upload = await ctx.prisma.upload.findUnique({ where: { id: uploadId! } });
  if (!upload || upload.userId !== actor.userId || upload.usedAt !== null || upload.expiresAt <= ctx.now()) {
    throw new ValidationError(
      `Upload "${uploadId}" is unknown, already used, expired, or not yours; upload the ${what} again with POST /uploads`,
      'uploadId',
    );
  }
  const size = Number(upload.size);
  if (size > maxBytes) throw tooLarge(what, size, maxBytes, 'uploadId');
  return {
    sha384: upload.sha384,
    sha256: upload.sha256,
    size,
    filename: null,
    source: () => ctx.blobs.source(upload.sha384),
    commit: async () => undefined,
    discard: async () => undefined,
    markUsed: async (tx) => {
      // Single use: of two concurrent pushes naming one upload, one wins.
      const { count } = await tx.upload.updateMany({ where: { id: upload.id, usedAt: null }, data: { usedAt: ctx.now() } });
      if (count !== 1) throw new ConflictError(`Upload "${upload.id}" was used by another request at the same time; upload again`);
    },
  };
}

function tooLarge(what: string, size: number, maxBytes: number, field: string): ValidationError {
  return new ValidationError(`The ${what} is ${size} bytes; the limit is ${maxBytes} bytes`, field);
}
