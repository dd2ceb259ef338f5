import { randomBytes } from 'node:crypto';
import { constants, createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { BlobStore, ByteSource, StagedBlob, StoredBlob } from './blob-store.js';
import { BlobTooLargeError } from './blob-store.js';
import { type ContentDigester, inlineDigester, streamDigester } from './content-digests.js';
import { youngGarbageCollector } from './young-garbage.js';

const SHA384_HEX = /^[0-9a-f]{96}$/;
/**
 * Streamed content received between two scavenges (see young-garbage.ts): each chunk of a request body is a
 * buffer outside V8's heap that is copied into a batch and dropped; left to V8, up to ~32 MiB of them stay
 * resident during an upload, this way ~4, which more than pays for the hashing thread (content-digests.ts).
 */
const BYTES_PER_SCAVENGE = 4 * 1024 * 1024;
const STAGING = '.staging';

/**
 * Blobs as files: `<dir>/<first two hex digits>/<sha384>`. Content is
 * written to `<dir>/.staging/`, fsynced, then linked into place (atomic on
 * one filesystem) and the directory fsynced, so a crash leaves either the
 * whole blob or none of it (plus, at worst, staging leftovers for the GC).
 */
export class FileBlobStore implements BlobStore {
  constructor(readonly dir: string) {}

  static async open(dir: string): Promise<FileBlobStore> {
    await fs.mkdir(path.join(dir, STAGING), { recursive: true });
    return new FileBlobStore(dir);
  }

  pathOf(sha384: string): string {
    if (!SHA384_HEX.test(sha384)) throw new Error(`not a sha384 digest: ${sha384}`);
    return path.join(this.dir, sha384.slice(0, 2), sha384);
  }

  async stage(content: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, maxBytes: number): Promise<StagedBlob> {
    const stagingPath = path.join(this.dir, STAGING, `${Date.now()}-${randomBytes(8).toString('hex')}`);
    const streamed = Symbol.asyncIterator in content;
    const file = await StagingFile.create(stagingPath, streamed);
    // Streamed content (POST /uploads) is hashed in batches (SHA-384 in a worker thread with two cores or more, once it passes one
    // batch); content already in memory as it comes. Started once the file is open: nothing would stop the threads of a file
    // that could not be created.
    let digester: ContentDigester;
    try {
      digester = streamed ? streamDigester() : inlineDigester();
    } catch (error) {
      await file.close().catch(() => undefined);
      await fs.rm(stagingPath, { force: true });
      throw error;
    }
    let size = 0;
    // Batches are written in order, one at a time, while the next is received and earlier ones are hashed.
    let writes: Promise<void> = Promise.resolve();
    let writeFailed = false;
    const send = (batch: Uint8Array, room = batch.byteLength) => {
      writes = writes.then(() => file.write(batch, room));
      writes.catch(() => (writeFailed = true));
      digester.update(batch, writes);
    };
    let digests;
    try {
      if (Symbol.asyncIterator in content) {
        let batch = await digester.allocate();
        let filled = 0;
        const dropped = youngGarbageCollector(BYTES_PER_SCAVENGE);
        for await (const chunk of content) {
          dropped(chunk.byteLength); // copied into the batch below, then no longer referenced
          size += chunk.byteLength;
          if (size > maxBytes) throw new BlobTooLargeError(maxBytes);
          if (writeFailed) break; // the write's error is thrown below
          for (let taken = 0; taken < chunk.byteLength; ) {
            const part = chunk.subarray(taken, taken + batch.byteLength - filled);
            batch.set(part, filled);
            filled += part.byteLength;
            taken += part.byteLength;
            if (filled === batch.byteLength) {
              send(batch);
              batch = await digester.allocate();
              filled = 0;
            }
          }
        }
        // The last batch may be written past its end (O_DIRECT writes whole blocks; the file is cut to size after).
        if (filled > 0) send(batch.subarray(0, filled), batch.byteLength);
      } else {
        // Content in memory (a multipart push, typically a few KiB) is written and hashed chunk by chunk, not
        // copied into batches of BATCH_BYTES: allocating one costs more than hashing a small archive.
        for (const chunk of content) {
          size += chunk.byteLength;
          if (size > maxBytes) throw new BlobTooLargeError(maxBytes);
          send(chunk);
        }
      }
      await writes;
      digests = await digester.digest();
      await file.sync(size);
    } catch (error) {
      digester.abort();
      await writes.catch(() => undefined);
      await file.close().catch(() => undefined);
      await fs.rm(stagingPath, { force: true });
      throw error;
    }
    await file.close();
    const digest = { ...digests, size };
    let discarded = false;
    return {
      ...digest,
      source: () => fileSource(stagingPath, size),
      commit: async () => {
        if (discarded) throw new Error('a discarded blob cannot be committed');
        const target = this.pathOf(digest.sha384);
        const dir = path.dirname(target);
        // A hard link, not a rename: the staged file stays until `discard`, so
        // a transaction that is retried can commit again (the collector may
        // have removed the blob after the first attempt rolled back). An
        // existing target has the same content (content-addressed, and only
        // ever complete), so it is kept.
        const link = () =>
          fs.link(stagingPath, target).catch((error: NodeJS.ErrnoException) => {
            if (error.code !== 'EEXIST') throw error;
          });
        // The fan-out directory usually exists: it is created (and its own entry synced) only when the link finds it missing.
        await link().catch(async (error: NodeJS.ErrnoException) => {
          if (error.code !== 'ENOENT') throw error;
          await fs.mkdir(dir, { recursive: true });
          await fsyncDirectory(path.dirname(dir));
          await link();
        });
        await fsyncDirectory(dir);
      },
      discard: async () => {
        discarded = true;
        await removeFile(stagingPath);
      },
    };
  }

  async size(sha384: string): Promise<number | null> {
    try {
      return (await fs.stat(this.pathOf(sha384))).size;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }

  async source(sha384: string): Promise<ByteSource> {
    const file = this.pathOf(sha384);
    return fileSource(file, (await fs.stat(file)).size);
  }

  async *list(): AsyncIterable<StoredBlob> {
    for (const prefix of await fs.readdir(this.dir)) {
      if (!/^[0-9a-f]{2}$/.test(prefix)) continue;
      for (const name of await fs.readdir(path.join(this.dir, prefix))) {
        if (!SHA384_HEX.test(name)) continue;
        const stat = await fs.stat(path.join(this.dir, prefix, name)).catch(() => null);
        if (stat) yield { sha384: name, modifiedAt: stat.mtime };
      }
    }
  }

  async remove(sha384: string): Promise<void> {
    await fs.rm(this.pathOf(sha384), { force: true });
  }

  async removeStaleStaging(before: Date): Promise<number> {
    const dir = path.join(this.dir, STAGING);
    let removed = 0;
    for (const name of await fs.readdir(dir)) {
      const stat = await fs.stat(path.join(dir, name)).catch(() => null);
      if (stat && stat.mtime < before) {
        await fs.rm(path.join(dir, name), { force: true });
        removed += 1;
      }
    }
    return removed;
  }
}

/**
 * O_DIRECT needs the file offset, the length and the memory aligned to the disk's logical block size (512 or
 * 4096 bytes); whole pages suit every disk.
 */
const DIRECT_IO_ALIGNMENT = 4096;

/**
 * A staging file, written in order. Streamed content is written around the page cache (O_DIRECT) where the
 * filesystem allows it, from the digester's page-aligned batches: each write goes to the disk while the
 * next batch is received, instead of all of them at the final fsync (~0.7 s per GiB here, with nothing else
 * to do), and costs no copy into the page cache (on this machine's VM 1.5-2.5 s of kernel time per GiB, as
 * each new page-cache page is first touched). Without O_DIRECT (tmpfs, some network or FUSE filesystems:
 * the open fails), for content in memory, and for good from the first direct write the kernel refuses
 * (EINVAL: memory or disk not aligned as it needs), it is written through the page cache. A last partial
 * batch is written padded to a whole block and the file cut to size before it is synced.
 */
class StagingFile {
  private position = 0;
  private padded = false;

  private constructor(
    private readonly file: fs.FileHandle,
    private direct: fs.FileHandle | null,
  ) {}

  static async create(stagingPath: string, streamed: boolean): Promise<StagingFile> {
    const file = await fs.open(stagingPath, 'wx');
    const direct = streamed ? await fs.open(stagingPath, constants.O_WRONLY | constants.O_DIRECT).catch(() => null) : null;
    return new StagingFile(file, direct);
  }

  /** Appends `bytes`; `room` bytes from its start are the caller's and may be written over (padding). */
  async write(bytes: Uint8Array, room: number): Promise<void> {
    const position = this.position;
    this.position += bytes.byteLength;
    if (this.direct && position % DIRECT_IO_ALIGNMENT === 0 && bytes.byteOffset % DIRECT_IO_ALIGNMENT === 0) {
      const blocks = Math.ceil(bytes.byteLength / DIRECT_IO_ALIGNMENT) * DIRECT_IO_ALIGNMENT;
      if (blocks <= room) {
        const whole = new Uint8Array(bytes.buffer, bytes.byteOffset, blocks);
        whole.fill(0, bytes.byteLength);
        try {
          await writeAll(this.direct, whole, position);
          if (blocks > bytes.byteLength) this.padded = true;
          return;
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'EINVAL') throw error;
          const direct = this.direct;
          this.direct = null;
          await direct.close();
        }
      }
    }
    await writeAll(this.file, bytes, position);
  }

  /** Cuts off the padding of the last block, if any, and flushes the content and the file's size to the disk. */
  async sync(size: number): Promise<void> {
    if (this.padded) await this.file.truncate(size);
    await this.file.sync();
  }

  async close(): Promise<void> {
    await Promise.all([this.file.close(), this.direct?.close()]);
  }
}

/** Writes all of `bytes` at `position` (a write may take fewer bytes than it is given). */
async function writeAll(file: fs.FileHandle, bytes: Uint8Array, position: number): Promise<void> {
  for (let written = 0; written < bytes.byteLength; ) written += (await file.write(bytes, written, bytes.byteLength - written, position + written)).bytesWritten;
}

function fileSource(file: string, size: number): ByteSource {
  return {
    size,
    // createReadStream's `end` is inclusive.
    openRange: (start, end) => (end <= start ? Readable.from([]) : createReadStream(file, { start, end: end - 1, highWaterMark: 64 * 1024 })),
  };
}

/** Removes a file, if it is there: `fs.rm` would `lstat` it first (a second thread-pool round trip on every push). */
async function removeFile(file: string): Promise<void> {
  await fs.unlink(file).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error;
  });
}

async function fsyncDirectory(dir: string): Promise<void> {
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
