import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openPgliteDatabase, openPostgresDatabase, type Database } from '../../src/db/database.js';

export type TestDatabaseKind = 'pglite' | 'postgres';

export function testDatabaseKind(): TestDatabaseKind {
  return process.env.TEST_DB === 'postgres' ? 'postgres' : 'pglite';
}

export function testDatabaseUrl(): string {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) throw new Error('TEST_DATABASE_URL must be set for the postgres test project');
  return url;
}

export interface TestDatabase {
  db: Database;
  /** The PostgreSQL schema holding this database (postgres only), for a second process to share. */
  schema: string | undefined;
  drop(): Promise<void>;
}

/**
 * A fresh, migrated database for one test file: an in-memory PGlite, or a
 * schema of its own on the PostgreSQL server, dropped afterwards.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  if (testDatabaseKind() === 'pglite') {
    const db = await openPgliteDatabase(undefined);
    return { db, schema: undefined, drop: () => db.close() };
  }
  const url = testDatabaseUrl();
  const schema = `test_${randomBytes(6).toString('hex')}`;
  await withAdminClient(url, (client) => client.query(`CREATE SCHEMA "${schema}"`));
  const db = await openPostgresDatabase(url, schema);
  return {
    db,
    schema,
    drop: async () => {
      await db.close();
      await withAdminClient(url, (client) => client.query(`DROP SCHEMA "${schema}" CASCADE`));
    },
  };
}

async function withAdminClient<T>(url: string, run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}
