import type { Readable } from 'node:stream';

/** The digests and size of a blob's content. */
export interface BlobDigest {
  /** Hex SHA-384: the blob's key. */
  sha384: string;
  /** Hex SHA-256, for Digest headers and clients that check it. */
  sha256: string;
  size: number;
}

/** Random access to some bytes: what the zip reader needs (the central directory sits at the end). */
export interface ByteSource {
  size: number;
  /** Streams bytes [start, end). */
  openRange(start: number, end: number): Readable;
}

/**
 * Content written and hashed but not yet in the store: checks read it, then
 * `commit` puts it in place (atomically; again if called again) and
 * `discard` drops the staged copy, so a refused archive leaves nothing behind.
 */
export interface StagedBlob extends BlobDigest {
  source(): ByteSource;
  commit(): Promise<void>;
  discard(): Promise<void>;
}

export interface StoredBlob {
  sha384: string;
  modifiedAt: Date;
}

/** The response headers a redirected download must carry. */
export interface DownloadRedirect {
  contentDisposition: string;
  contentType: string;
}

/** Raised by `stage` when the content is larger than allowed; nothing is kept. */
export class BlobTooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`The content is larger than the limit of ${maxBytes} bytes`);
  }
}

/**
 * Content-addressed storage of archives and resources, keyed by SHA-384.
 * Identical content is stored once. The store never holds a partial blob:
 * content is written aside, then moved into place. A database row may only
 * name a blob after `commit` resolved, and `commit` runs under the blob's
 * lock in the transaction that writes that row (services/blobs/blob-lock.ts),
 * so that the garbage collector never removes it.
 */
export interface BlobStore {
  /** Streams `content` aside while hashing it; refuses (BlobTooLargeError) past `maxBytes` without buffering it whole. */
  stage(content: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, maxBytes: number): Promise<StagedBlob>;
  /** The size of a stored blob, or null when it is missing. */
  size(sha384: string): Promise<number | null>;
  /** Random access to a stored blob (it must exist). */
  source(sha384: string): Promise<ByteSource>;
  /** Every stored blob, for garbage collection. */
  list(): AsyncIterable<StoredBlob>;
  remove(sha384: string): Promise<void>;
  /** Drops staging leftovers (from crashed or abandoned writes) older than `before`; returns how many. */
  removeStaleStaging(before: Date): Promise<number>;
  /**
   * A short-lived URL the client may fetch the blob from directly (a
   * presigned S3 URL), or null to stream it through the store. Optional:
   * a backend that cannot redirect leaves it out.
   */
  downloadRedirect?(sha384: string, response: DownloadRedirect): Promise<string | null>;
}
