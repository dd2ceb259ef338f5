// Applies the migrations in a worker thread, for server start-up.
//
// Why: the WebAssembly schema engine that applies migrations stays loaded for
// the life of the process that instantiates it (tens of MiB), and creating an
// embedded database (PGlite's initdb runs a second PostgreSQL instance and
// copies its data directory through memory) peaks at ~870 MiB, most of which
// a process keeps. Both are needed once, at start-up; in a worker thread they
// are released when the thread ends. Costs ~0.3 s of start-up (the worker
// loads tsx and the migration code).
//
// An in-memory PGlite cannot be shared with another thread: migrate it in
// process with migratePglite (what the tests do).

import { Worker } from 'node:worker_threads';

import type { ApplyMigrationsResult } from './migrate.js';

/** What the worker migrates: a PostgreSQL schema, or a PGlite data directory (created if empty). */
export type MigrationTarget =
  | { kind: 'postgres'; url: string; schema: string | undefined }
  | { kind: 'pglite'; dir: string };

/** The worker's one message to its parent. */
export type MigrationWorkerReport =
  | { ok: true; applied: string[] }
  | { ok: false; phase: 'open' | 'migrate'; message: string; stack: string | undefined };

/** A failure inside the worker: opening the database, or applying a migration. */
export class MigrationWorkerError extends Error {
  constructor(
    readonly phase: 'open' | 'migrate',
    message: string,
    workerStack: string | undefined,
  ) {
    super(message);
    this.name = 'MigrationWorkerError';
    if (workerStack) this.stack = `${this.name}: ${message}\n  in the migration worker: ${workerStack}`;
  }
}

/**
 * Migrates `target` in a worker thread and resolves once the thread has
 * ended, so a PGlite data directory is closed again when this resolves.
 */
export async function migrateInWorker(target: MigrationTarget): Promise<ApplyMigrationsResult> {
  const worker = new Worker(new URL('./migrate-worker.mjs', import.meta.url), { workerData: target });
  const report = await new Promise<MigrationWorkerReport>((resolve, reject) => {
    worker.once('message', resolve);
    // An exception outside run() (e.g. a module that fails to load).
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`The migration worker exited (code ${code}) without reporting`)));
  });
  // run() has closed the database before reporting; stopping the thread now
  // frees its memory without waiting for idle handles to wind down.
  await worker.terminate();
  if (!report.ok) throw new MigrationWorkerError(report.phase, report.message, report.stack);
  return { applied: report.applied };
}
