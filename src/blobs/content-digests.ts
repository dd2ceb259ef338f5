import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

/** Content is written and hashed in batches of this size: a request body arrives in chunks of ~64 KiB, and each write and each message to a hashing thread has a fixed cost. */
export const BATCH_BYTES = 1024 * 1024;

export interface ContentDigests {
  sha384: string;
  sha256: string;
}

/** SHA-384 and SHA-256 of some content, computed as it passes. */
export interface ContentDigester {
  /** A buffer of BATCH_BYTES for the next batch; waits while too many earlier batches are still being hashed or written. */
  allocate(): Promise<Uint8Array>;
  /**
   * Hashes `batch` (the start of a buffer from `allocate`) in the background; the buffer is reused once it is
   * hashed and `written` has settled, so the caller must not touch it after this call.
   */
  update(batch: Uint8Array, written: Promise<unknown>): void;
  /** The digests, once every batch is hashed. */
  digest(): Promise<ContentDigests>;
  /** Stops hashing (the content was refused); the digester is unusable afterwards. */
  abort(): void;
}

function inlineDigestsOf(content: Uint8Array): ContentDigests {
  return { sha384: createHash('sha384').update(content).digest('hex'), sha256: createHash('sha256').update(content).digest('hex') };
}

/** Hashes on the calling thread: for content already in memory (a multipart file), where threads cost more than they save. */
export function inlineDigester(): ContentDigester {
  const sha384 = createHash('sha384');
  const sha256 = createHash('sha256');
  return {
    allocate: async () => new Uint8Array(BATCH_BYTES),
    update: (batch) => {
      sha384.update(batch);
      sha256.update(batch);
    },
    digest: async () => ({ sha384: sha384.digest('hex'), sha256: sha256.digest('hex') }),
    abort: () => undefined,
  };
}

// Plain JavaScript evaluated in each worker, so the same code runs under tsx, from dist/ and in vitest.
// A message is a batch ({ id, buffer: SharedArrayBuffer, offset, length }), answered by its id, or null for the digests.
const DIGEST_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const hashes = workerData.map((algorithm) => createHash(algorithm));
parentPort.on('message', (batch) => {
  if (batch === null) return parentPort.postMessage(hashes.map((hash) => hash.digest('hex')));
  const bytes = new Uint8Array(batch.buffer, batch.offset, batch.length);
  for (const hash of hashes) hash.update(bytes);
  parentPort.postMessage(batch.id);
});
`;
/** Batches being hashed or written at once (exported for its test): bounds memory (x BATCH_BYTES) when the disk or a hash is slower than the network. */
export const BATCHES_IN_FLIGHT = 4;

export type Algorithm = 'sha384' | 'sha256';
const ALGORITHMS: readonly Algorithm[] = ['sha384', 'sha256'];
/**
 * Where streamed content is hashed: with four cores or more, one thread per digest (SHA-384, the slower, then
 * sets the pace alone); with two or three, one thread for both; with one, on this thread. On two cores this
 * splits an upload's CPU about evenly: this thread receives, copies into batches and writes (~1.5-2 s per
 * GiB), the thread hashes both (~2 s), so they overlap instead of adding up, and on a busy machine each
 * gets its own share of the CPU. Measured on two shared cores (docs/performance.md), SHA-256 on this thread
 * and SHA-384 in the thread was slower (0.40-0.56 of `sha384sum` against 0.44-0.93 in the same rounds),
 * and a thread per digest no faster and ~5 MiB bigger. A thread costs ~10 MiB of resident memory, which
 * FileBlobStore's scavenges more than win back.
 */
const cores = availableParallelism();
const THREADS: readonly (readonly Algorithm[])[] = cores >= 4 ? [['sha384'], ['sha256']] : cores >= 2 ? [['sha384', 'sha256']] : [];

/**
 * Uploads hashing in threads right now, in this process, and how many may: one more upload hashes on the
 * calling thread instead. A thread costs ~10 MiB and ~25 ms of CPU to start, and on a machine this size
 * more threads than cores hash no faster, so many uploads at once must not mean as many threads.
 */
let uploadsHashingInThreads = 0;
const MAX_UPLOADS_HASHING_IN_THREADS = Math.max(1, cores);

/** How many uploads hash in threads now (for tests). */
export function uploadsInHashingThreads(): number {
  return uploadsHashingInThreads;
}

/** One hashing thread of `streamDigester`. */
class HashThread {
  private readonly worker: Worker;
  private onDigests: ((hex: string[]) => void) | null = null;

  constructor(algorithms: readonly Algorithm[], onHashed: (id: number) => void, onFailure: (error: Error) => void) {
    this.worker = new Worker(DIGEST_WORKER, { eval: true, workerData: algorithms });
    this.worker.on('message', (message: number | string[]) => (typeof message === 'number' ? onHashed(message) : this.onDigests?.(message)));
    this.worker.on('error', onFailure);
    this.worker.on('exit', (code) => onFailure(new Error(`a hashing thread exited (code ${code}) before the digests were complete`)));
  }

  hash(id: number, buffer: SharedArrayBuffer, offset: number, length: number): void {
    this.worker.postMessage({ id, buffer, offset, length });
  }

  digests(): Promise<string[]> {
    return new Promise((resolve) => {
      this.onDigests = resolve;
      this.worker.postMessage(null);
    });
  }

  /** Resolves once the thread has stopped (and reads no batch any more). */
  stop(): Promise<void> {
    this.worker.removeAllListeners('exit');
    return this.worker.terminate().then(
      () => undefined,
      () => undefined,
    );
  }
}

/** WebAssembly's page size: a memory's size is a whole number of them. */
const WASM_PAGE_BYTES = 64 * 1024;

/**
 * Memory for `count` batches that the hashing threads can share, starting on a page boundary: the file blob
 * store writes batches with O_DIRECT, which needs memory aligned to the disk's block size, and the memory
 * of a SharedArrayBuffer comes from malloc, 16 bytes past a page. A shared WebAssembly memory is a
 * SharedArrayBuffer mapped on pages of its own (V8 reserves ~10 GiB of address space for it, not memory:
 * its pages are resident once written, like any buffer's). Where that fails, a plain SharedArrayBuffer
 * does: the store then writes through the page cache (see FileBlobStore).
 */
function pageAlignedSharedMemory(count: number): SharedArrayBuffer {
  const pages = (count * BATCH_BYTES) / WASM_PAGE_BYTES;
  try {
    const { buffer } = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
    if (buffer instanceof SharedArrayBuffer) return buffer;
  } catch {
    // no address space for it: unaligned memory below
  }
  return new SharedArrayBuffer(count * BATCH_BYTES);
}

/**
 * Batch memories of finished uploads, for the next ones. A WebAssembly memory is freed only when a full
 * garbage collection finds it unreferenced, and V8 does not count it as memory that calls for one: one per
 * upload, each left ~10 GiB of address space and the pages it used resident until V8 ran out of address
 * space for another (~1 TiB, ~100 uploads, ~400 MiB resident).
 */
const idleMemories: SharedArrayBuffer[] = [];
const MAX_IDLE_MEMORIES = 8;

/** Lets the idle batch memories go (for a test of the fall-back, which needs a new one). */
export function dropIdleBatchMemories(): void {
  idleMemories.length = 0;
}

/**
 * Hashes streamed content in batches of BATCH_BYTES, in worker threads (`threadAlgorithms`, THREADS by
 * default) and, for the digests no thread computes, on this thread as each batch is submitted. With threads,
 * a large upload holds the event loop for less of its digests (~1.9 s of CPU per GiB together), and receiving (this thread), writing
 * (libuv's thread pool) and hashing overlap: the upload goes at the pace of the slowest of them rather than
 * of their sum. Batches are slices of one page-aligned shared memory that the hashing threads read while the
 * file is written from them (no copies, nothing transferred back), and are reused once all are done with
 * them: at most BATCHES_IN_FLIGHT x BATCH_BYTES, whatever the upload's size. Each batch starts on a page
 * boundary and has room up to BATCH_BYTES, so the store may pad a last, partial batch for O_DIRECT.
 */
export function streamDigester(threadAlgorithms: readonly (readonly Algorithm[])[] = THREADS, maxUploadsInThreads = MAX_UPLOADS_HASHING_IN_THREADS): ContentDigester {
  /** The digests' threads: `threadAlgorithms`, or none once the first full batch finds every thread slot taken. */
  let inThreads = threadAlgorithms;
  /** Allocated with the first batch; only the pages of batches that are used become resident. */
  let memory: SharedArrayBuffer | null = null;
  /** Per batch id (its slice of `memory`): how many of its hashes and its write are outstanding (0: free). */
  const busy: number[] = [];
  let failure: Error | null = null;
  let wake: (() => void) | null = null;
  let rejectDigest: ((error: Error) => void) | null = null;
  const notify = () => {
    const waiting = wake;
    wake = null;
    waiting?.();
  };
  const done = (id: number) => {
    busy[id]! -= 1;
    notify();
  };
  const fail = (error: Error) => {
    failure ??= error;
    notify();
    rejectDigest?.(failure);
  };
  /**
   * Started with the first full batch. Content that ends within its first batch (most uploads: a charm of a
   * few KiB through POST /uploads) is hashed on this thread instead: starting a thread costs ~25 ms of CPU,
   * far more than hashing it.
   */
  let threads: HashThread[] | null = null;
  let hashedHere: ContentDigests | null = null;
  /** The digests no thread computes, fed here batch by batch (both without threads). */
  const threaded = new Set(inThreads.flat());
  const hashesHere = new Map(ALGORITHMS.filter((algorithm) => !threaded.has(algorithm)).map((algorithm) => [algorithm, createHash(algorithm)]));
  const startThreads = (): HashThread[] => {
    const started: HashThread[] = [];
    try {
      for (const algorithms of inThreads) started.push(new HashThread(algorithms, done, fail));
    } catch (error) {
      // A thread that could not start: those already started would run for ever.
      started.forEach((thread) => thread.stop());
      throw error;
    }
    return started;
  };
  /** The last batch's write: once it has settled, no write reads or pads a batch any more (they are chained). */
  let lastWritten: Promise<unknown> = Promise.resolve();
  let finished = false;
  /** Stops the threads and, once neither they nor a write use it, gives the memory back for another upload. */
  const stop = () => {
    if (finished) return;
    finished = true;
    const stopped = (threads ?? []).map((thread) => thread.stop());
    if (threads) uploadsHashingInThreads -= 1;
    const released = memory;
    if (!released) return;
    void Promise.all([...stopped, lastWritten.catch(() => undefined)]).then(() => {
      if (idleMemories.length < MAX_IDLE_MEMORIES) idleMemories.push(released);
    });
  };
  const batchOf = (id: number) => new Uint8Array(memory!, id * BATCH_BYTES, BATCH_BYTES);
  return {
    allocate: async () => {
      for (;;) {
        if (failure) throw failure;
        const free = busy.indexOf(0);
        if (free !== -1) {
          busy[free] = -1; // handed out, not yet submitted
          return batchOf(free);
        }
        if (busy.length < BATCHES_IN_FLIGHT) {
          memory ??= idleMemories.pop() ?? pageAlignedSharedMemory(BATCHES_IN_FLIGHT);
          busy.push(-1);
          return batchOf(busy.length - 1);
        }
        await new Promise<void>((resolve) => (wake = resolve));
      }
    },
    update: (batch, written) => {
      const id = batch.byteOffset / BATCH_BYTES;
      if (batch.buffer !== memory || busy[id] !== -1) throw new Error('update takes the start of a batch from allocate, once');
      if (inThreads.length > 0 && !threads && batch.byteLength < BATCH_BYTES) {
        // A partial batch before any full one: the whole content, and its last batch.
        hashedHere = inlineDigestsOf(batch);
        busy[id] = 1; // the write
      } else {
        if (inThreads.length > 0 && !threads) {
          if (uploadsHashingInThreads >= maxUploadsInThreads) {
            // Every slot taken: this upload hashes both digests here, from its first batch on.
            inThreads = [];
            for (const algorithm of ALGORITHMS) if (!hashesHere.has(algorithm)) hashesHere.set(algorithm, createHash(algorithm));
          } else {
            threads = startThreads();
            uploadsHashingInThreads += 1;
          }
        }
        busy[id] = (threads?.length ?? 0) + 1; // the hashing threads and the write
        // Sent before hashing here, so that the threads hash while this thread does.
        for (const thread of threads ?? []) thread.hash(id, memory!, batch.byteOffset, batch.byteLength);
        for (const hash of hashesHere.values()) hash.update(batch);
      }
      lastWritten = written;
      written.then(
        () => done(id),
        // The buffer is never reused after a failed write, nor are those of the writes queued behind it: a caller
        // waiting in allocate for one of them would wait for ever, so it gets the write's error instead.
        (error: unknown) => fail(error instanceof Error ? error : new Error(String(error))),
      );
    },
    digest: async () => {
      try {
        if (failure) throw failure;
        // No full batch: the content was hashed here (or is empty).
        if (inThreads.length > 0 && !threads) return hashedHere ?? inlineDigestsOf(new Uint8Array(0));
        const here = new Map([...hashesHere].map(([algorithm, hash]) => [algorithm, hash.digest('hex')]));
        if (!threads) return { sha384: here.get('sha384')!, sha256: here.get('sha256')! };
        const failed = new Promise<never>((_, reject) => (rejectDigest = reject));
        failed.catch(() => undefined); // a thread failing after the digests arrived is of no consequence
        const digests = (await Promise.race([Promise.all(threads.map((thread) => thread.digests())), failed])).flat();
        const byAlgorithm = new Map([...here, ...inThreads.flat().map((algorithm, index) => [algorithm, digests[index]!] as const)]);
        return { sha384: byAlgorithm.get('sha384')!, sha256: byAlgorithm.get('sha256')! };
      } finally {
        stop();
      }
    },
    abort: stop,
  };
}
