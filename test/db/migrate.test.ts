// Migrations applied through the wasm schema engine must leave the database
// exactly as `prisma migrate deploy` would: every table created, and one
// finished `_prisma_migrations` row per migration whose checksum is the
// sha256 of its migration.sql. Re-running must apply nothing.

import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { DEFAULT_MIGRATIONS_DIR, migratePglite, migratePostgres, migrationsAreApplied } from '../../src/db/migrate.js';
import { emptyPglite } from '../support/database.js';
import { timeLimitFor } from '../support/timing.js';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SOME_TABLES = ['User', 'Group', 'Namespace', 'Entity', 'Revision', 'Channel', 'Release', 'AuditEvent'];

interface MigrationRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
  logs: string | null;
  applied_steps_count: number;
}

const MIGRATION_ROWS_SQL =
  'SELECT migration_name, checksum, finished_at, rolled_back_at, logs, applied_steps_count FROM _prisma_migrations ORDER BY migration_name';

/** Every migration folder of the repository with the sha256 Prisma records for it. */
async function expectedMigrations(): Promise<{ name: string; checksum: string }[]> {
  const entries = await readdir(DEFAULT_MIGRATIONS_DIR, { withFileTypes: true });
  const names = entries.filter((e) => e.isDirectory()).map((e) => e.name).sort();
  return Promise.all(
    names.map(async (name) => {
      const sql = await readFile(path.join(DEFAULT_MIGRATIONS_DIR, name, 'migration.sql'));
      return { name, checksum: createHash('sha256').update(sql).digest('hex') };
    }),
  );
}

function expectRowsMatch(rows: MigrationRow[], expected: { name: string; checksum: string }[]): void {
  expect(rows.map((r) => r.migration_name)).toEqual(expected.map((m) => m.name));
  for (const [i, row] of rows.entries()) {
    expect(row.checksum).toBe(expected[i]?.checksum);
    expect(row.finished_at).toBeInstanceOf(Date);
    expect(row.rolled_back_at).toBeNull();
    expect(row.logs).toBeNull();
    expect(row.applied_steps_count).toBe(1);
  }
}

describe.runIf(process.env.TEST_DB !== 'postgres')('migrations on PGlite', () => {
  it('knows when nothing needs migrating (start-up then skips the migration child), and when something does', async () => {
    const db = await emptyPglite();
    const query = async (sql: string) => (await db.query<{ migration_name: string; checksum: string; finished: boolean; rolled_back: boolean }>(sql)).rows;
    const dir = await mkdtemp(path.join(tmpdir(), 'migrations-'));
    try {
      expect(await migrationsAreApplied(query)).toBe(false);
      await migratePglite(db);
      expect(await migrationsAreApplied(query)).toBe(true);
      // A migration added to the directory, or an applied one edited since, needs the migrations to run.
      await cp(DEFAULT_MIGRATIONS_DIR, dir, { recursive: true });
      await mkdir(path.join(dir, '29991231000000_later'));
      await writeFile(path.join(dir, '29991231000000_later', 'migration.sql'), 'CREATE TABLE "Later" (id INT);\n');
      expect(await migrationsAreApplied(query, dir)).toBe(false);
      await rm(path.join(dir, '29991231000000_later'), { recursive: true });
      expect(await migrationsAreApplied(query, dir)).toBe(true);
      const [first] = (await readdir(dir, { withFileTypes: true })).filter((entry) => entry.isDirectory());
      await writeFile(path.join(dir, first!.name, 'migration.sql'), `${await readFile(path.join(dir, first!.name, 'migration.sql'), 'utf8')}\n-- edited\n`);
      expect(await migrationsAreApplied(query, dir)).toBe(false);
    } finally {
      await db.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('applies every migration once and records it like Prisma', async () => {
    const expected = await expectedMigrations();
    expect(expected.length).toBeGreaterThan(0);
    const db = await emptyPglite();
    try {
      expect(await migratePglite(db)).toEqual({ applied: expected.map((m) => m.name) });

      const tables = await db.query<{ table_name: string }>(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'",
      );
      const names = tables.rows.map((r) => r.table_name);
      expect(names).toEqual(expect.arrayContaining([...SOME_TABLES, '_prisma_migrations']));

      expectRowsMatch((await db.query<MigrationRow>(MIGRATION_ROWS_SQL)).rows, expected);

      expect(await migratePglite(db)).toEqual({ applied: [] });
      expect((await db.query<MigrationRow>(MIGRATION_ROWS_SQL)).rows).toHaveLength(expected.length);
    } finally {
      await db.close();
    }
  });

  it('applies each migration once when two calls overlap on one database', async () => {
    const expected = await expectedMigrations();
    const db = await emptyPglite();
    try {
      const [first, second] = await Promise.all([migratePglite(db), migratePglite(db)]);
      expect([...first.applied, ...second.applied]).toEqual(expected.map((m) => m.name));
    } finally {
      await db.close();
    }
  });

  it('reports a failing migration and records it as failed, not applied', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'migrations-'));
    const db = await emptyPglite();
    try {
      await cp(DEFAULT_MIGRATIONS_DIR, dir, { recursive: true });
      await mkdir(path.join(dir, '29991231000000_broken'));
      await writeFile(
        path.join(dir, '29991231000000_broken', 'migration.sql'),
        'CREATE TABLE "Half" (id int);\nSELECT * FROM "no_such_table";\n',
      );
      await expect(migratePglite(db, { migrationsDir: dir })).rejects.toThrow(/no_such_table/);

      const broken = await db.query<MigrationRow>(
        "SELECT * FROM _prisma_migrations WHERE migration_name = '29991231000000_broken'",
      );
      expect(broken.rows[0]?.finished_at).toBeNull();
      expect(broken.rows[0]?.logs).toContain('no_such_table');
      // The script ran as one implicit transaction, so nothing of it remains.
      const half = await db.query<{ t: string | null }>(`SELECT to_regclass('"Half"')::text AS t`);
      expect(half.rows[0]?.t).toBeNull();
      // Like `prisma migrate deploy`, later runs refuse to go on.
      await expect(migratePglite(db, { migrationsDir: dir })).rejects.toThrow(/failed migrations/);
    } finally {
      await db.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

const postgresUrl = process.env.TEST_DATABASE_URL;

describe.runIf(postgresUrl !== undefined && process.env.TEST_DB !== 'pglite')('migrations on PostgreSQL', () => {
  const url = postgresUrl ?? '';
  const schemas = [`test_migrate_${randomBytes(6).toString('hex')}`, `test_migrate_${randomBytes(6).toString('hex')}`];
  let admin: pg.Client;

  function urlWithSchema(schema: string): string {
    const u = new URL(url);
    u.searchParams.set('schema', schema);
    return u.toString();
  }

  beforeAll(async () => {
    admin = new pg.Client({ connectionString: url });
    await admin.connect();
  });

  afterAll(async () => {
    for (const schema of schemas) await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  });

  it('applies every migration into the url schema and records it like Prisma', async () => {
    const schema = schemas[0] ?? '';
    const expected = await expectedMigrations();
    expect(await migratePostgres(urlWithSchema(schema))).toEqual({ applied: expected.map((m) => m.name) });

    const tables = await admin.query<{ table_name: string }>(
      'SELECT table_name FROM information_schema.tables WHERE table_schema = $1',
      [schema],
    );
    expect(tables.rows.map((r) => r.table_name)).toEqual(
      expect.arrayContaining([...SOME_TABLES, '_prisma_migrations']),
    );

    const rows = await admin.query<MigrationRow>(MIGRATION_ROWS_SQL.replace('_prisma_migrations', `"${schema}"._prisma_migrations`));
    expectRowsMatch(rows.rows, expected);

    expect(await migratePostgres(urlWithSchema(schema))).toEqual({ applied: [] });
  });

  it('applies each migration once when several processes start at once', async () => {
    const schema = schemas[1] ?? '';
    const expected = await expectedMigrations();
    const run = promisify(execFile);
    const tsx = path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx');
    const env = { ...process.env, DATABASE_URL: urlWithSchema(schema) };
    const outputs = await Promise.all(
      [1, 2].map(() => run(tsx, [path.join(REPO_ROOT, 'scripts', 'db-migrate.ts')], { cwd: REPO_ROOT, env })),
    );
    const applied = outputs.flatMap(({ stdout }) => [...stdout.matchAll(/^Applied (\S+)$/gm)].map((m) => m[1]));
    expect(applied).toEqual(expected.map((m) => m.name));

    const rows = await admin.query<MigrationRow>(MIGRATION_ROWS_SQL.replace('_prisma_migrations', `"${schema}"._prisma_migrations`));
    expectRowsMatch(rows.rows, expected);
  }, timeLimitFor(2));
});
