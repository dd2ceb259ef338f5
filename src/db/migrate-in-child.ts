// Applies the migrations in a child process, for server start-up.
//
// Why: the WebAssembly schema engine that applies migrations stays loaded for
// the life of the process that instantiates it, and creating an embedded
// database peaks at ~870 MiB (PGlite's initdb runs a second PostgreSQL
// instance and copies its data directory through memory). Both are needed
// once, at start-up. A worker thread was tried first: the allocator keeps
// much of what the thread freed (~100 MiB after creating a database), while a
// process gives all of it back when it exits. Costs ~0.3 s of start-up (the
// child loads tsx and the migration code).
//
// An in-memory PGlite cannot be shared with another process: migrate it in
// process with migratePglite (what the tests do).

import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import type { ApplyMigrationsResult } from './migrate.js';
import { BASELINE_WASM_ONLY_FLAG } from './pglite-options.js';

/** What the child migrates: a PostgreSQL schema, or a PGlite data directory (created if empty). */
export type MigrationTarget =
  | { kind: 'postgres'; url: string; schema: string | undefined }
  | { kind: 'pglite'; dir: string };

/** The child's one message to its parent. */
export type MigrationChildReport =
  | { ok: true; applied: string[] }
  | { ok: false; phase: 'open' | 'migrate'; message: string; stack: string | undefined };

/** A failure in the child: opening the database, or applying a migration. */
export class MigrationChildError extends Error {
  constructor(
    readonly phase: 'open' | 'migrate',
    message: string,
    childStack: string | undefined,
  ) {
    super(message);
    this.name = 'MigrationChildError';
    if (childStack) this.stack = `${this.name}: ${message}\n  in the migration process: ${childStack}`;
  }
}

/**
 * Migrates `target` in a child process and resolves once the child has
 * exited, so a PGlite data directory is closed again when this resolves.
 */
export async function migrateInChildProcess(target: MigrationTarget): Promise<ApplyMigrationsResult> {
  // The child runs what we run: the compiled module from dist/ (`npm start`),
  // or the TypeScript source through tsx (development, tests).
  const compiled = import.meta.url.endsWith('.js');
  const child = fork(fileURLToPath(new URL(compiled ? './migrate-child.js' : './migrate-child.ts', import.meta.url)), {
    // Its WebAssembly (the schema engine, PGlite) runs once: optimising it would cost more than it saves.
    // tsx's hook as an absolute URL, so that it does not depend on the working directory.
    execArgv: [BASELINE_WASM_ONLY_FLAG, ...(compiled ? [] : ['--import', import.meta.resolve('tsx')])],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let report: MigrationChildReport | undefined;
  const exit = new Promise<void>((resolve, reject) => {
    child.once('message', (message) => (report = message as MigrationChildReport));
    child.once('error', reject);
    // 'close', not 'exit': it comes after the IPC channel has delivered everything.
    child.once('close', (code, signal) => {
      if (report) resolve();
      else reject(new Error(`The migration process exited (${signal ?? `code ${code}`}) without reporting`));
    });
  });
  // Over IPC rather than argv: the url may hold a password, and argv is
  // visible to every user of the machine.
  child.send(target);
  await exit;
  if (!report!.ok) throw new MigrationChildError(report!.phase, report!.message, report!.stack);
  return { applied: report!.applied };
}
