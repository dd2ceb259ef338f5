/**
 * PGlite's start-up parameters for the store: PGlite's defaults, with 16 MB
 * of shared buffers instead of PostgreSQL's 128 MB. PGlite's buffers live in
 * its WebAssembly memory, which never shrinks, and the 128 MB cost ~100 MiB
 * of resident memory from the start; the store's tables are small, and pages
 * outside the buffers are read from the data directory's files (which the OS
 * caches).
 */
export function pgliteStartParams(defaults: readonly string[]): string[] {
  return [...defaults, '-c', 'shared_buffers=16MB'];
}
