// The migration child process (see migrate-in-child.ts): receives its target
// over IPC, applies the migrations, reports the outcome and exits, taking the
// schema engine's (and, for a new embedded database, initdb's) memory with it.

import { inspect } from 'node:util';

import { PGlite } from '@electric-sql/pglite';

import { migratePglite, migratePostgres } from './migrate.js';
import type { MigrationChildReport, MigrationTarget } from './migrate-in-child.js';
import { pgliteStartParams } from './pglite-options.js';

async function run(target: MigrationTarget): Promise<MigrationChildReport> {
  if (target.kind === 'postgres') {
    try {
      return { ok: true, applied: (await migratePostgres(target.url, target.schema)).applied };
    } catch (error) {
      return failure('migrate', error);
    }
  }
  let pglite: PGlite;
  try {
    // Creates the database (initdb) when the directory is empty.
    pglite = await PGlite.create(target.dir, { startParams: pgliteStartParams(PGlite.defaultStartParams) });
  } catch (error) {
    return failure('open', error);
  }
  try {
    return { ok: true, applied: (await migratePglite(pglite)).applied };
  } catch (error) {
    return failure('migrate', error);
  } finally {
    // The parent opens the directory once we have exited: never both at once.
    await pglite.close();
  }
}

function failure(phase: 'open' | 'migrate', error: unknown): MigrationChildReport {
  return {
    ok: false,
    phase,
    // PGlite's file-system errors are plain objects (Emscripten's ErrnoError).
    message: error instanceof Error ? error.message : inspect(error),
    stack: error instanceof Error ? error.stack : undefined,
  };
}

// Without a parent there is nothing left to do this for.
process.once('disconnect', () => process.exit(1));
process.once('message', (target: MigrationTarget) => {
  void run(target).then((report) => {
    // Exit explicitly once the report is sent: idle handles (the engine's,
    // PGlite's) could otherwise keep the process, and start-up, waiting.
    process.send!(report, () => process.exit(0));
  });
});
