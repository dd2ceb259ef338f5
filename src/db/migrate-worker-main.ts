// Runs in the migration worker thread (see migrate-in-worker.ts): applies
// the migrations to the target given as workerData, reports the outcome to
// the parent, and lets the thread end, taking the schema engine's (and, for
// the embedded database, initdb's) memory with it.

import { parentPort, workerData } from 'node:worker_threads';

import { PGlite } from '@electric-sql/pglite';

import { migratePglite, migratePostgres } from './migrate.js';
import type { MigrationTarget, MigrationWorkerReport } from './migrate-in-worker.js';

async function run(target: MigrationTarget): Promise<MigrationWorkerReport> {
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
    pglite = await PGlite.create(target.dir);
  } catch (error) {
    return failure('open', error);
  }
  try {
    return { ok: true, applied: (await migratePglite(pglite)).applied };
  } catch (error) {
    return failure('migrate', error);
  } finally {
    // The parent opens the directory once we are done: never both at once.
    await pglite.close();
  }
}

function failure(phase: 'open' | 'migrate', error: unknown): MigrationWorkerReport {
  return {
    ok: false,
    phase,
    message: error instanceof Error ? error.message : String(error),
    stack: error instanceof Error ? error.stack : undefined,
  };
}

parentPort!.postMessage(await run(workerData as MigrationTarget));
