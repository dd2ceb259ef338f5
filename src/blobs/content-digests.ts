import { createHash } from 'node:crypto';
import { Worker } from 'node:worker_threads';

/** SHA-384 and SHA-256 of some content, computed as it passes. */
export interface ContentDigester {
  /** A buffer for the next batch of `size` bytes (one the digester is done with, when it can). */
  allocate(size: number): Uint8Array;
  /** Hashes `batch`, which the digester may take over: the caller must not use it afterwards. */
  update(batch: Uint8Array): Promise<void>;
  digest(): Promise<{ sha384: string; sha256: string }>;
  /** Stops hashing (the content was refused); the digester is unusable afterwards. */
  abort(): void;
}

/** Hashes on the calling thread: for content already in memory (a multipart file), where a thread costs more than it saves. */
export function inlineDigester(): ContentDigester {
  const sha384 = createHash('sha384');
  const sha256 = createHash('sha256');
  return {
    allocate: (size) => new Uint8Array(size),
    update: async (batch) => {
      sha384.update(batch);
      sha256.update(batch);
    },
    digest: async () => ({ sha384: sha384.digest('hex'), sha256: sha256.digest('hex') }),
    abort: () => undefined,
  };
}

// Plain JavaScript evaluated in the worker, so the same code runs under tsx, from dist/ and in vitest.
const DIGEST_WORKER = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const sha384 = createHash('sha384');
const sha256 = createHash('sha256');
parentPort.on('message', (batch) => {
  if (batch === null) {
    parentPort.postMessage({ sha384: sha384.digest('hex'), sha256: sha256.digest('hex') });
    return;
  }
  const bytes = new Uint8Array(batch);
  sha384.update(bytes);
  sha256.update(bytes);
  parentPort.postMessage(batch, [batch]);
});
`;

/** Bytes handed to the worker and not yet hashed before `update` waits: bounds memory when hashing is slower than receiving. */
const MAX_BYTES_IN_FLIGHT = 8 * 1024 * 1024;

/**
 * Hashes in a worker thread, so a large streamed upload does not hold the
 * event loop for its two digests (~0.5 s of CPU per GiB together): the
 * server keeps answering, and on a machine with a spare core receiving,
 * writing and hashing overlap. Batches are transferred, not copied.
 */
export function workerDigester(): ContentDigester {
  const worker = new Worker(DIGEST_WORKER, { eval: true });
  let inFlight = 0;
  // Buffers the worker has hashed and sent back, reused for the next batches: left to the worker's garbage
  // collector, which rarely runs there, they kept ~100 MiB alive during a large upload.
  const spare: ArrayBuffer[] = [];
  let failure: Error | null = null;
  let wake: (() => void) | null = null;
  let result: ((digest: { sha384: string; sha256: string }) => void) | null = null;
  let rejectResult: ((error: Error) => void) | null = null;
  const notify = () => {
    const waiting = wake;
    wake = null;
    waiting?.();
  };
  worker.on('message', (message: ArrayBuffer | { sha384: string; sha256: string }) => {
    if (message instanceof ArrayBuffer) {
      inFlight -= message.byteLength;
      if (spare.length < MAX_BYTES_IN_FLIGHT / message.byteLength) spare.push(message);
      notify();
    } else {
      result?.(message);
    }
  });
  const fail = (error: Error) => {
    failure ??= error;
    notify();
    rejectResult?.(failure);
  };
  worker.on('error', fail);
  worker.on('exit', (code) => fail(new Error(`the hashing thread exited (code ${code}) before the digests were complete`)));
  return {
    allocate: (size) => {
      const index = spare.findIndex((buffer) => buffer.byteLength === size);
      return index === -1 ? new Uint8Array(size) : new Uint8Array(spare.splice(index, 1)[0]!);
    },
    update: async (batch) => {
      if (failure) throw failure;
      // Transfer needs a buffer of our own: copy a view on a shared or larger buffer (Node's pooled Buffers).
      const own = batch.byteOffset === 0 && batch.byteLength === batch.buffer.byteLength && batch.buffer instanceof ArrayBuffer ? batch : batch.slice();
      inFlight += own.byteLength;
      worker.postMessage(own.buffer, [own.buffer as ArrayBuffer]);
      while (inFlight > MAX_BYTES_IN_FLIGHT && !failure) await new Promise<void>((resolve) => (wake = resolve));
      if (failure) throw failure;
    },
    digest: async () => {
      if (failure) throw failure;
      try {
        return await new Promise((resolve, reject) => {
          result = resolve;
          rejectResult = reject;
          worker.postMessage(null);
        });
      } finally {
        worker.removeAllListeners('exit');
        void worker.terminate();
      }
    },
    abort: () => {
      worker.removeAllListeners('exit');
      void worker.terminate();
    },
  };
}
