import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { inject } from 'vitest';
import { openPgliteDatabase, openPostgresDatabase, type Database } from '../../src/db/database.js';
import type { DatabaseTuning } from '../../src/config.js';
import { scaled } from './timing.js';

export type TestDatabaseKind = 'pglite' | 'postgres';

export function testDatabaseKind(): TestDatabaseKind {
  return process.env.TEST_DB === 'postgres' ? 'postgres' : 'pglite';
}

export function testDatabaseUrl(): string {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) throw new Error('TEST_DATABASE_URL must be set for the postgres test project');
  return url;
}

/** `url` with its database name replaced by `database`. */
export function databaseUrl(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

export interface TestDatabase {
  db: Database;
  /** A DATABASE_URL for a second server process to share this database (postgres only). */
  url: string | undefined;
  drop(): Promise<void>;
}

/**
 * This worker's in-memory PGlites that a closed store left, emptied, for the
 * next store: loading the migrated snapshot costs ~0.7 s of CPU, emptying
 * the tables ~0.05 s. Test files share a worker's modules (isolate: false),
 * so one file's database serves the next.
 */
const idlePglites: PGlite[] = [];

async function loadMigratedSnapshot(): Promise<PGlite> {
  const { PGlite } = await import('@electric-sql/pglite');
  const { pgliteStartParams } = await import('../../src/db/pglite-options.js');
  return PGlite.create({ startParams: pgliteStartParams(PGlite.defaultStartParams), loadDataDir: new Blob([await fs.readFile(inject('pgliteSnapshot'))]) });
}

/**
 * Puts `pglite` back in the state of the migrated snapshot: every table
 * emptied, its identity sequences restarted (the migrations insert no rows
 * but ReadVersion's one, which stays: its number must only grow),
 * and the session reset (settings, locks, prepared statements). False, and
 * the instance closed, when that fails or does not finish in time (a test
 * left a transaction open): the next store then loads the snapshot.
 */
async function emptied(pglite: PGlite): Promise<boolean> {
  const reset = (async () => {
    const { rows } = await pglite.query<{ name: string }>(
      "SELECT quote_ident(tablename) AS name FROM pg_tables WHERE schemaname = 'public' AND tablename NOT IN ('_prisma_migrations', 'ReadVersion')",
    );
    if (rows.length > 0) await pglite.exec(`TRUNCATE ${rows.map((row) => row.name).join(', ')} RESTART IDENTITY CASCADE`);
    await pglite.exec('DISCARD ALL');
    return true;
  })();
  const ok = await doneInTime(reset);
  if (!ok) void pglite.close().catch(() => undefined);
  return ok;
}

/**
 * A fresh, migrated database for one test file, copied from the one the
 * global setup migrated (test/support/global-setup.ts): an in-memory PGlite
 * loaded from a snapshot, or a database of its own on the PostgreSQL server
 * made from a template, dropped afterwards.
 */
export async function createTestDatabase(tuning?: DatabaseTuning): Promise<TestDatabase> {
  if (testDatabaseKind() === 'pglite') {
    const pglite = idlePglites.pop() ?? (await loadMigratedSnapshot());
    const db = await openPgliteDatabase(undefined, { pglite, alreadyMigrated: true, ...(tuning ? { tuning } : {}) });
    let dropped: Promise<void> | undefined;
    const drop = async () => {
      await db.close();
      if (await emptied(pglite)) idlePglites.push(pglite);
    };
    return { db, url: undefined, drop: () => (dropped ??= drop()) };
  }
  const server = testDatabaseUrl();
  const name = `${inject('postgresPrefix')}_${randomBytes(6).toString('hex')}`;
  await withAdminClient((client) => client.query(`CREATE DATABASE "${name}" TEMPLATE "${inject('postgresTemplate')}"`), server);
  const url = databaseUrl(server, name);
  const db = await openPostgresDatabase(url, undefined, { alreadyMigrated: true, ...(tuning ? { tuning } : {}) });
  return {
    db,
    url,
    drop: async () => {
      await db.close();
      await withAdminClient((client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`), server);
    },
  };
}

/**
 * A new, empty in-memory PGlite (what `PGlite.create()` gives), loaded from
 * the run's snapshot taken before the migrations instead of running initdb
 * (~2 s of CPU). On the postgres project, which has no snapshot, it runs initdb.
 */
export async function emptyPglite(): Promise<PGlite> {
  const { PGlite } = await import('@electric-sql/pglite');
  if (testDatabaseKind() !== 'pglite') return PGlite.create();
  const pglite = idleEmptyPglites.pop() ?? (await PGlite.create({ loadDataDir: new Blob([await fs.readFile(inject('pgliteEmptySnapshot'))]) }));
  // Closing it gives it back, emptied, for the next caller in this worker.
  const close = pglite.close.bind(pglite);
  pglite.close = async () => {
    pglite.close = close;
    if (await wipedToEmpty(pglite)) idleEmptyPglites.push(pglite);
    else await close().catch(() => undefined);
  };
  return pglite;
}

/**
 * Empty PGlites that callers of emptyPglite closed, wiped, for the next: a
 * new one from the snapshot costs ~0.7 s of CPU, wiping one ~0.05 s
 * (test/db/ makes about seven in a run).
 */
const idleEmptyPglites: PGlite[] = [];

/**
 * Puts `pglite` back in the state of a new database: no open transaction, the
 * public schema (where the migrations put everything, _prisma_migrations too;
 * they create no schema or extension) dropped and created anew, the session
 * reset. False when that fails or does not finish in time.
 */
async function wipedToEmpty(pglite: PGlite): Promise<boolean> {
  if (pglite.closed) return false;
  const wipe = (async () => {
    await pglite.exec('ROLLBACK').catch(() => undefined);
    await pglite.exec('DROP SCHEMA public CASCADE; CREATE SCHEMA public');
    // On its own: DISCARD ALL cannot run in the implicit transaction of a multi-statement string.
    await pglite.exec('DISCARD ALL');
    return true;
  })();
  return doneInTime(wipe);
}

/** Whether a reset of a PGlite succeeded within 5 s (scaled): false when it failed or is still running. */
async function doneInTime(reset: Promise<boolean>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), scaled(5000))));
  try {
    return await Promise.race([reset.catch(() => false), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Puts a copy of the migrated embedded database into `dataDir` (a server's
 * STORE_DATA_DIR), so that a spawned server skips initdb and the migrations
 * (seconds of CPU). The snapshot is a plain tar of PGlite's data directory.
 */
export async function withMigratedDatabase(dataDir: string): Promise<string> {
  const pgliteDir = path.join(dataDir, 'pglite');
  await fs.mkdir(pgliteDir, { recursive: true });
  await promisify(execFile)('tar', ['-xf', inject('pgliteSnapshot'), '-C', pgliteDir]);
  return dataDir;
}

/** Runs `run` on a connection of its own to `url` (the test cluster's by default), closed afterwards. */
export async function withAdminClient<T>(run: (client: pg.Client) => Promise<T>, url = testDatabaseUrl()): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}
