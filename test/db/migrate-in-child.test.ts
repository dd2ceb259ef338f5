// The server applies migrations in a child process (src/db/migrate-in-child.ts)
// so that the schema engine's and initdb's memory leaves with it. The child
// must migrate a new database, apply nothing the second time, release the
// directory before resolving, and report failures with the phase they
// happened in. The child's initdb of a data directory that does not exist yet
// is test/server-process.test.ts's (`npm start` from an empty database: the
// server's migration child creates it); here the child starts on a copy of the
// run's database taken before the migrations, which saves ~2 s of CPU.

import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';

import { DEFAULT_MIGRATIONS_DIR } from '../../src/db/migrate.js';
import { timeLimitFor } from '../support/timing.js';

// The compiled module, as the server runs it (this run's build of the
// sources, see test/support/global-setup.ts): its child is plain JavaScript.
// Imported from the sources, the child would load tsx first, ~1.5 s of CPU
// per child; `npm run dev` still runs that way (the same code, another loader).
const { migrateInChildProcess, MigrationChildError } = (await import(
  path.join(inject('serverBuild'), 'db', 'migrate-in-child.js')
)) as typeof import('../../src/db/migrate-in-child.js');

async function migrationNames(): Promise<string[]> {
  const entries = await readdir(DEFAULT_MIGRATIONS_DIR, { withFileTypes: true });
  return entries.filter((e) => e.isDirectory()).map((e) => e.name).sort();
}

const tempDirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'charmstore-migrate-child-'));
  tempDirs.push(dir);
  return dir;
}
afterAll(async () => {
  for (const dir of tempDirs) await rm(dir, { recursive: true, force: true });
});

describe.runIf(process.env.TEST_DB !== 'postgres')('migrating the embedded database in a child process', () => {
  it('migrates a new database, then applies nothing, and leaves it closed', async () => {
    // A data directory as initdb leaves it: the run's snapshot taken before the migrations.
    const dir = path.join(await tempDir(), 'pglite');
    await mkdir(dir);
    await promisify(execFile)('tar', ['-xf', inject('pgliteEmptySnapshot'), '-C', dir]);
    const names = await migrationNames();
    expect(await migrateInChildProcess({ kind: 'pglite', dir })).toEqual({ applied: names });
    expect(await migrateInChildProcess({ kind: 'pglite', dir })).toEqual({ applied: [] });

    // Resolved only after the child exited: the directory opens here.
    const pglite = await PGlite.create(dir);
    try {
      const rows = await pglite.query<{ migration_name: string }>(
        'SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL ORDER BY migration_name',
      );
      expect(rows.rows.map((r) => r.migration_name)).toEqual(names);
      expect((await pglite.query<{ n: number }>('SELECT count(*)::int AS n FROM "User"')).rows).toEqual([{ n: 0 }]);
    } finally {
      await pglite.close();
    }
  }, timeLimitFor(2));

  it('reports a directory it cannot open as a failure to open', async () => {
    // A data directory under a file: PGlite fails creating it, before it loads
    // its WebAssembly. (A data directory that is itself a file fails the same
    // way, after PGlite has unpacked its file system: ~2 s more of CPU.)
    const file = path.join(await tempDir(), 'not-a-directory');
    await writeFile(file, 'x');
    const dir = path.join(file, 'pglite');
    const failure = await migrateInChildProcess({ kind: 'pglite', dir }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(MigrationChildError);
    expect((failure as InstanceType<typeof MigrationChildError>).phase).toBe('open');
    expect((failure as InstanceType<typeof MigrationChildError>).message).toBe(`ENOTDIR: not a directory, mkdir '${dir}'`);
  }, timeLimitFor(1));
});

const postgresUrl = process.env.TEST_DATABASE_URL;

describe.runIf(postgresUrl !== undefined && process.env.TEST_DB !== 'pglite')('migrating PostgreSQL in a child process', () => {
  const url = postgresUrl ?? '';
  const schema = `test_migrate_child_${randomBytes(6).toString('hex')}`;

  afterAll(async () => {
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  });

  it('migrates a schema, then applies nothing', async () => {
    const names = await migrationNames();
    expect(await migrateInChildProcess({ kind: 'postgres', url, schema })).toEqual({ applied: names });
    expect(await migrateInChildProcess({ kind: 'postgres', url, schema })).toEqual({ applied: [] });
  }, timeLimitFor(2));

  it('reports a database it cannot migrate as a failure to migrate, with the server message', async () => {
    const missing = new URL(url);
    missing.pathname = `/no_such_db_${randomBytes(4).toString('hex')}`;
    const failure = await migrateInChildProcess({ kind: 'postgres', url: missing.toString(), schema: undefined }).catch(
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(MigrationChildError);
    expect((failure as InstanceType<typeof MigrationChildError>).phase).toBe('migrate');
    expect((failure as InstanceType<typeof MigrationChildError>).message).toBe(`database "${missing.pathname.slice(1)}" does not exist`);
  }, timeLimitFor(1));
});
