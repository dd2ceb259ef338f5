import v8 from 'node:v8';

/**
 * PGlite's start-up parameters for the store: PGlite's defaults, with 4 MB
 * of shared buffers instead of PostgreSQL's 128 MB. PGlite's buffers live in
 * its WebAssembly memory, which never shrinks, and are all touched when it
 * starts: each MB costs a MB of resident memory from the start (128 MB cost
 * ~100 MiB; 16 MB, the earlier setting, 12 MiB more than 4). Pages outside
 * the buffers are read from the data directory's files, which the OS caches:
 * on a store of 5,000 entities (~10 MB of tables), a dashboard page's and a
 * resolve's statements cost the same CPU with 4 MB as with 16 MB (within
 * 5 %, measured interleaved; docs/performance.md, Memory), while the store's
 * 256 MiB bound during a 1 GiB upload needed those 12 MiB.
 */
export function pgliteStartParams(defaults: readonly string[]): string[] {
  return [...defaults, '-c', 'shared_buffers=4MB'];
}

/**
 * V8's flag for WebAssembly compiled by its baseline compiler (Liftoff) only,
 * never recompiled by its optimising one (TurboFan): what the embedded
 * database runs with unless STORE_PGLITE_OPTIMIZED_WASM=true.
 *
 * Why: PGlite is a ~10 MB WebAssembly module. By default V8 compiles it with
 * Liftoff, then recompiles the functions that run often with TurboFan, in
 * background threads, and keeps both: ~40-90 MiB of resident memory on
 * top of the rest of the process, which took the embedded server's peak
 * during a 1 GiB upload to 300-320 MiB. The store's queries are short (most
 * of a request's time is in JavaScript: Prisma, GraphQL), so Liftoff's code is
 * fast enough, and on a small machine the recompiling itself costs seconds
 * of CPU after every start. Long analytical queries are faster with TurboFan:
 * that is what the setting is for.
 */
export const BASELINE_WASM_ONLY_FLAG = '--liftoff-only';

/**
 * Applies BASELINE_WASM_ONLY_FLAG to this process. Call it first thing, before
 * any WebAssembly is compiled (PGlite's or Prisma's query compiler): V8 reads
 * the flag when it compiles a module, and changing it under code compiled
 * with tiering enabled is not something V8 promises to handle.
 */
export function compileWasmWithBaselineOnly(): void {
  v8.setFlagsFromString(BASELINE_WASM_ONLY_FLAG);
}
