import { createRequire } from 'node:module';
import type pg from 'pg';

let loaded: typeof pg | undefined;

/**
 * The `pg` driver, loaded on first use rather than imported: only a store on
 * PostgreSQL needs it, and loading it (and `@prisma/adapter-pg`, which the
 * PostgreSQL code imports dynamically for the same reason) cost every start
 * of an embedded store ~50 ms of CPU (docs/performance.md, Start-up). `pg` is
 * CommonJS, so `require` gives the same module an `import` would, and
 * OpenTelemetry's instrumentation (src/tracing.ts, started before) still
 * patches it as it loads.
 */
export function loadPg(): typeof pg {
  loaded ??= createRequire(import.meta.url)('pg') as typeof pg;
  return loaded;
}
