import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { BlobTooLargeError } from '../../src/blobs/blob-store.js';
import { BATCH_BYTES, BATCHES_IN_FLIGHT, dropIdleBatchMemories, streamDigester, uploadsInHashingThreads } from '../../src/blobs/content-digests.js';
import { FileBlobStore } from '../../src/blobs/file-blob-store.js';

// The blob store hashes streamed content (POST /uploads) in worker threads, in batches, with a bound on
// the batches in flight; content in memory on the calling thread. Both must give the digests of the bytes.
let dir: string;
let blobs: FileBlobStore;
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'content-digests-'));
  blobs = await FileBlobStore.open(dir);
});
afterAll(() => fs.rm(dir, { recursive: true, force: true }));

/**
 * Random content of ~14 MiB (three times what the hashing threads may have in
 * flight, and past the 10 MiB limit of the refusal below) in chunks of uneven
 * sizes, some views on a larger buffer.
 */
function unevenChunks(): Buffer[] {
  const chunks: Buffer[] = [];
  for (let i = 0; i < 150; i += 1) {
    const backing = randomBytes(70_000 + ((i * 7919) % 60_000) + 16);
    chunks.push(i % 3 === 0 ? backing.subarray(16) : backing);
  }
  return chunks;
}

async function* streamed(chunks: Buffer[]): AsyncGenerator<Uint8Array> {
  for (const chunk of chunks) yield chunk;
}

function digestsOf(content: Buffer) {
  return { sha384: createHash('sha384').update(content).digest('hex'), sha256: createHash('sha256').update(content).digest('hex'), size: content.length };
}

describe('staging content', () => {
  it('gives the SHA-384 and SHA-256 of streamed content and of content in memory, and writes every byte', async () => {
    const chunks = unevenChunks();
    const whole = Buffer.concat(chunks);
    const fromStream = await blobs.stage(streamed(chunks), 64 * 1024 * 1024);
    const fromMemory = await blobs.stage(chunks, 64 * 1024 * 1024);
    const empty = await blobs.stage(streamed([]), 1);
    try {
      expect(fromStream).toMatchObject(digestsOf(whole));
      expect(fromMemory).toMatchObject(digestsOf(whole));
      expect(empty).toMatchObject(digestsOf(Buffer.alloc(0)));
      await fromStream.commit();
      expect((await fs.readFile(blobs.pathOf(fromStream.sha384))).equals(whole)).toBe(true);
    } finally {
      await Promise.all([fromStream.discard(), fromMemory.discard(), empty.discard()]);
    }
  });

  it('gives the digests of streamed content at the edges of a batch (hashed here below one batch, by threads from one on)', async () => {
    for (const size of [1, BATCH_BYTES - 1, BATCH_BYTES, BATCH_BYTES + 1, 2 * BATCH_BYTES]) {
      const content = randomBytes(size);
      // In two chunks, so that a batch is filled across chunks.
      const staged = await blobs.stage(streamed([content.subarray(0, size >> 1), content.subarray(size >> 1)]), 64 * 1024 * 1024);
      try {
        expect(staged, `${size} bytes`).toMatchObject(digestsOf(content));
        await staged.commit();
        expect((await fs.readFile(blobs.pathOf(staged.sha384))).equals(content), `${size} bytes written`).toBe(true);
      } finally {
        await staged.discard();
      }
    }
  });

  it('writes every byte through the page cache when the batches cannot be page-aligned for O_DIRECT', async () => {
    // Without a WebAssembly memory the batches are a plain SharedArrayBuffer (malloc's memory, 16 bytes past a
    // page): the first direct write is refused (EINVAL), and that batch and the rest go through the page cache.
    dropIdleBatchMemories(); // an aligned one from an earlier upload would be reused
    vi.stubGlobal('WebAssembly', {
      ...WebAssembly,
      Memory: class {
        constructor() {
          throw new RangeError('no address space');
        }
      },
    });
    try {
      const content = randomBytes(3 * BATCH_BYTES + 4_321);
      const staged = await blobs.stage(streamed([content.subarray(0, 100_000), content.subarray(100_000)]), 64 * 1024 * 1024);
      try {
        expect(staged).toMatchObject(digestsOf(content));
        await staged.commit();
        expect((await fs.readFile(blobs.pathOf(staged.sha384))).equals(content)).toBe(true);
      } finally {
        await staged.discard();
      }
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it('refuses streamed content past the limit and leaves nothing staged', async () => {
    await expect(blobs.stage(streamed(unevenChunks()), 10 * 1024 * 1024)).rejects.toBeInstanceOf(BlobTooLargeError);
    expect(await fs.readdir(path.join(dir, '.staging'))).toEqual([]);
  });

  it('refuses streamed content whose write fails while every batch is in flight, rather than waiting for ever', async () => {
    // A write failing after a while (a full disk under a slow one): by then the batches queued behind it fill every buffer.
    const probe = await fs.open(path.join(dir, 'probe'), 'w');
    const handlePrototype = Object.getPrototypeOf(probe) as fs.FileHandle;
    await probe.close();
    const write = handlePrototype.write;
    let calls = 0;
    const spy = vi.spyOn(handlePrototype, 'write').mockImplementation(async function (this: fs.FileHandle, ...args: unknown[]) {
      calls += 1;
      if (calls === 2) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      }
      return (write as (...a: unknown[]) => Promise<unknown>).apply(this, args);
    } as never);
    try {
      const staged = blobs.stage(streamed(unevenChunks()), 64 * 1024 * 1024);
      const outcome = await Promise.race([staged.then(() => 'staged', (error: Error) => error.message), new Promise((resolve) => setTimeout(() => resolve('still waiting'), 20_000))]);
      expect(outcome).toBe('ENOSPC: no space left on device, write');
    } finally {
      spy.mockRestore();
      await fs.rm(path.join(dir, 'probe'), { force: true });
    }
    expect(await fs.readdir(path.join(dir, '.staging'))).toEqual([]);
  });

  it('stops its hashing threads when the staging file cannot be created', async () => {
    const threads = async () => (await fs.readdir('/proc/self/task')).length;
    const missing = new FileBlobStore(path.join(dir, 'no-such-directory'));
    // Warm up: the first failing open may start libuv's thread pool.
    await expect(missing.stage(streamed([Buffer.from('x')]), 1024)).rejects.toThrow(/ENOENT/);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const before = await threads();
    for (let i = 0; i < 5; i += 1) await expect(missing.stage(streamed([Buffer.from('x')]), 1024)).rejects.toThrow(/ENOENT/);
    // Terminated threads take a moment to go: wait for them, generously.
    for (let waited = 0; waited < 20_000 && (await threads()) > before; waited += 100) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await threads()).toBeLessThanOrEqual(before);
  });
});

describe('batched hashing, in threads or on this one', () => {
  /** Hashes `content` through a stream digester, batch by batch, each batch's write settling at once. */
  async function hashedBy(digester: ReturnType<typeof streamDigester>, content: Buffer) {
    for (let offset = 0; offset < content.length; offset += BATCH_BYTES) {
      const part = content.subarray(offset, offset + BATCH_BYTES);
      const batch = await digester.allocate();
      batch.set(part);
      digester.update(batch.subarray(0, part.length), Promise.resolve());
    }
    return digester.digest();
  }

  it('gives both digests on this thread, with one thread for both, with one digest in a thread and one here, and with a thread per digest', async () => {
    const content = randomBytes(BATCH_BYTES * (BATCHES_IN_FLIGHT + 3) + 12_345);
    const expected = { sha384: digestsOf(content).sha384, sha256: digestsOf(content).sha256 };
    expect(await hashedBy(streamDigester([]), content)).toEqual(expected);
    expect(await hashedBy(streamDigester([['sha384', 'sha256']]), content)).toEqual(expected);
    expect(await hashedBy(streamDigester([['sha384']]), content)).toEqual(expected);
    expect(await hashedBy(streamDigester([['sha256']]), content)).toEqual(expected);
    expect(await hashedBy(streamDigester([['sha384'], ['sha256']]), content)).toEqual(expected);
    expect(await hashedBy(streamDigester([['sha256'], ['sha384']]), content)).toEqual(expected);
  });

  it('hashes on this thread once every thread slot is taken, and gives the slot back when an upload ends', async () => {
    const content = randomBytes(BATCH_BYTES * 3 + 777);
    const expected = { sha384: digestsOf(content).sha384, sha256: digestsOf(content).sha256 };
    const before = uploadsInHashingThreads();
    // One slot: the first upload (started, its first full batch submitted) takes it.
    const first = streamDigester([['sha384', 'sha256']], before + 1);
    const batch = await first.allocate();
    batch.set(content.subarray(0, BATCH_BYTES));
    first.update(batch, Promise.resolve());
    expect(uploadsInHashingThreads()).toBe(before + 1);
    // The second, meanwhile, hashes here: right digests, no thread taken.
    const second = streamDigester([['sha384', 'sha256']], before + 1);
    const secondDigests = hashedBy(second, content);
    expect(uploadsInHashingThreads()).toBe(before + 1);
    expect(await secondDigests).toEqual(expected);
    for (let offset = BATCH_BYTES; offset < content.length; offset += BATCH_BYTES) {
      const part = content.subarray(offset, offset + BATCH_BYTES);
      const next = await first.allocate();
      next.set(part);
      first.update(next.subarray(0, part.length), Promise.resolve());
    }
    expect(await first.digest()).toEqual(expected);
    expect(uploadsInHashingThreads()).toBe(before);
    // A digester that is aborted gives its slot back too.
    const aborted = streamDigester([['sha384', 'sha256']], before + 1);
    const full = await aborted.allocate();
    aborted.update(full, Promise.resolve());
    expect(uploadsInHashingThreads()).toBe(before + 1);
    aborted.abort();
    expect(uploadsInHashingThreads()).toBe(before);
  });

  it.each([
    ['on this thread', []],
    ['in a thread', [['sha384', 'sha256']]],
  ] as const)('holds at most BATCHES_IN_FLIGHT batches %s: the next waits until one is both hashed and written', async (_, threads) => {
    const digester = streamDigester(threads);
    const finishWrites: (() => void)[] = [];
    for (let i = 0; i < BATCHES_IN_FLIGHT; i += 1) {
      const batch = await digester.allocate();
      batch.fill(i);
      digester.update(batch, new Promise<void>((resolve) => finishWrites.push(resolve)));
    }
    let allocated = false;
    const next = digester.allocate().then((batch) => ((allocated = true), batch));
    // Each batch is hashed soon, but its write never settles: no buffer may be reused, whatever the wait.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(allocated).toBe(false);
    finishWrites[0]!();
    expect((await next).byteLength).toBe(BATCH_BYTES);
    digester.abort();
  });
});
