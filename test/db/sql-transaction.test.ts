import { setTimeout as sleep } from 'node:timers/promises';
import type { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SqlDriver, pgliteSqlDriver, postgresSqlDriver, TransactionAbortedError, TransactionTimeoutError } from '../../src/db/sql-transaction.js';
import { StatementNames } from '../../src/db/statement-names.js';
import { Prisma } from '../../src/generated/prisma/client.js';
import { isRetryableTransactionError } from '../../src/services/pipeline/retry.js';
import { isDatabaseUnavailable } from '../../src/services/prisma-errors.js';
import { createTestDatabase, emptyPglite, type TestDatabase, testDatabaseKind } from '../support/database.js';
import { scaled } from '../support/timing.js';

/**
 * `Database.sql` (src/db/sql-transaction.ts): the write pipeline's
 * transactions on the driver's own connection, without Prisma's client.
 * What Prisma's interactive transaction guaranteed must still hold: rows
 * shaped as `$queryRaw` shapes them, all or nothing, the statement hook, the
 * time limits, and retryable deadlocks.
 */
let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
}, scaled(60_000));
afterAll(() => database?.drop(), scaled(60_000));

const insertAudit = (target: string, at: Date) =>
  Prisma.sql`INSERT INTO "AuditEvent" ("action", "target", "after", "createdAt") VALUES ('sql-transaction-test', ${target}, ${JSON.stringify({ n: 1 })}::jsonb, ${at}) RETURNING "id"`;

describe('Database.sql', () => {
  it('returns rows as Prisma raw queries do: int8 as bigint, timestamps as the instant written, json and arrays parsed', async () => {
    const at = new Date('2026-03-04T05:06:07.089Z');
    const statement = Prisma.sql`SELECT 9007199254740993::int8 AS "big", ${at}::timestamp(3) AS "at", '{"a": [1]}'::jsonb AS "doc", ARRAY['x', 'y']::text[] AS "list", 7::int AS "small"`;
    const [viaDriver] = await database.db.sql.query<Record<string, unknown>>(statement);
    const [viaPrisma] = await database.db.prisma.$queryRaw<Array<Record<string, unknown>>>(statement);
    expect(viaDriver).toEqual({ big: 9007199254740993n, at, doc: { a: [1] }, list: ['x', 'y'], small: 7 });
    expect(viaDriver!.big).toBe(viaPrisma!.big);
    expect((viaDriver!.at as Date).getTime()).toBe((viaPrisma!.at as Date).getTime());
  });

  it('commits what a transaction wrote, as Prisma reads it back, and reports its statements and COMMIT', async () => {
    const at = new Date('2026-05-06T07:08:09.123Z');
    const seen: string[] = [];
    const stop = database.db.onStatement((sql) => seen.push(sql));
    let id: number;
    try {
      id = await database.db.sql.transaction(async (sql) => (await sql.query<{ id: number }>(insertAudit('committed', at)))[0]!.id);
    } finally {
      stop();
    }
    const row = await database.db.prisma.auditEvent.findUniqueOrThrow({ where: { id } });
    expect(row).toMatchObject({ target: 'committed', createdAt: at, after: { n: 1 } });
    expect(seen).toEqual([expect.stringContaining('INSERT INTO "AuditEvent"'), 'COMMIT']);
  });

  it('rolls back everything a transaction wrote when a statement (or the work) fails, and rejects with that error', async () => {
    const failing = database.db.sql.transaction(async (sql) => {
      await sql.query(insertAudit('rolled-back-1', new Date()));
      await sql.query(Prisma.sql`SELECT 1 / 0`);
    });
    await expect(failing).rejects.toThrow(/division by zero/);
    await expect(
      database.db.sql.transaction(async (sql) => {
        await sql.query(insertAudit('rolled-back-2', new Date()));
        throw new Error('the command refused');
      }),
    ).rejects.toThrow('the command refused');
    expect(await database.db.prisma.auditEvent.count({ where: { target: { startsWith: 'rolled-back' } } })).toBe(0);
    // The connection is usable afterwards.
    expect(await database.db.sql.transaction((sql) => sql.query<{ one: number }>(Prisma.sql`SELECT 1::int AS "one"`))).toEqual([{ one: 1 }]);
  });

  it('reports as failed a transaction whose work went on after a failed statement: its COMMIT rolled back', async () => {
    const acknowledged = database.db.sql.transaction(async (sql) => {
      await sql.query(insertAudit('aborted-then-committed', new Date()));
      // A command that catches a statement's error and goes on: the transaction is aborted all the same.
      await sql.query(Prisma.sql`SELECT 1 / 0`).catch(() => undefined);
      return 'written';
    });
    // The same typed error on both drivers (PGlite's own is translated), so the write pipeline tells it from a COMMIT that failed.
    await expect(acknowledged).rejects.toBeInstanceOf(TransactionAbortedError);
    expect(await database.db.prisma.auditEvent.count({ where: { target: 'aborted-then-committed' } })).toBe(0);
    expect(await database.db.sql.transaction((sql) => sql.query<{ one: number }>(Prisma.sql`SELECT 1::int AS "one"`))).toEqual([{ one: 1 }]);
  });
});

/**
 * The limit tests' PGlite: one for the file, each test's driver over it in
 * turn, its table emptied between them (a new PGlite each cost ~0.8 s of CPU).
 */
let limitsPglite: Promise<PGlite> | undefined;
afterAll(async () => (await limitsPglite)?.close());

/** A driver of its own over the test database, with these limits. */
async function driverWith(limits: { connectionWaitMs: number; transactionTimeoutMs: number }): Promise<{ sql: SqlDriver; close(): Promise<void> }> {
  if (testDatabaseKind() === 'pglite') {
    limitsPglite ??= emptyPglite().then(async (pglite) => {
      await pglite.exec('CREATE TABLE "Written" ("x" int)');
      return pglite;
    });
    const pglite = await limitsPglite;
    await pglite.exec('TRUNCATE "Written"');
    return { sql: pgliteSqlDriver(pglite, limits, () => undefined), close: async () => {} };
  }
  const pool = new pg.Pool({ connectionString: database.url, max: 1, connectionTimeoutMillis: limits.connectionWaitMs });
  await pool.query('CREATE TABLE IF NOT EXISTS "Written" ("x" int)');
  return { sql: postgresSqlDriver(pool, limits, () => undefined), close: () => pool.end() };
}

describe('Database.sql limits', () => {
  it('rolls back a transaction that outlives transactionTimeoutMs: its next statement fails', async () => {
    const { sql, close } = await driverWith({ connectionWaitMs: scaled(10_000), transactionTimeoutMs: 100 });
    try {
      const slow = sql.transaction(async (tx) => {
        await tx.query(Prisma.sql`INSERT INTO "Written" VALUES (1)`);
        await sleep(400);
        await tx.query(Prisma.sql`INSERT INTO "Written" VALUES (2)`);
      });
      await expect(slow).rejects.toBeInstanceOf(TransactionTimeoutError);
      expect(await sql.query(Prisma.sql`SELECT * FROM "Written"`)).toEqual([]);
    } finally {
      await close();
    }
  });

  it('rolls back at transactionTimeoutMs work that sends no statement meanwhile (a hung blob store), freeing the connection and its locks', async () => {
    const { sql, close } = await driverWith({ connectionWaitMs: scaled(20_000), transactionTimeoutMs: 200 });
    let unblock!: () => void;
    const hung = new Promise<void>((resolve) => (unblock = resolve));
    try {
      const stuck = sql.transaction(async (tx) => {
        await tx.query(Prisma.sql`INSERT INTO "Written" VALUES (4)`);
        await hung;
        await tx.query(Prisma.sql`INSERT INTO "Written" VALUES (5)`);
      });
      const outcome = await Promise.race([stuck.catch((error: unknown) => error), sleep(scaled(20_000)).then(() => 'still waiting for the work')]);
      expect(outcome).toBeInstanceOf(TransactionTimeoutError);
      // The only connection (PGlite's, or the pool's of one) is free again, and nothing was written.
      expect(await sql.query(Prisma.sql`SELECT * FROM "Written"`)).toEqual([]);
      unblock();
      await sleep(50);
      expect(await sql.query(Prisma.sql`SELECT * FROM "Written"`)).toEqual([]);
    } finally {
      unblock();
      await close();
    }
  }, scaled(60_000));

  it('gives up waiting for the connection after connectionWaitMs, as unavailable, and never runs the work later', async () => {
    const { sql, close } = await driverWith({ connectionWaitMs: 200, transactionTimeoutMs: scaled(30_000) });
    try {
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      const holder = sql.transaction(() => held);
      let ran = false;
      const waiting = sql.transaction(async (tx) => {
        ran = true;
        await tx.query(Prisma.sql`INSERT INTO "Written" VALUES (3)`);
      });
      const error: unknown = await waiting.catch((caught: unknown) => caught);
      expect(isDatabaseUnavailable(error)).toBe(true);
      release();
      await holder;
      await sleep(100);
      expect(ran).toBe(false);
      expect(await sql.query(Prisma.sql`SELECT * FROM "Written"`)).toEqual([]);
    } finally {
      await close();
    }
  });
});

describe('StatementNames', () => {
  it('names a text from its second sighting on, the same name each time, and at most `capacity` texts', () => {
    const names = new StatementNames(2, 10);
    expect(names.nameOf('SELECT 1')).toBeUndefined();
    const first = names.nameOf('SELECT 1');
    expect(first).toBeDefined();
    expect(names.nameOf('SELECT 1')).toBe(first);
    names.nameOf('SELECT 2');
    const second = names.nameOf('SELECT 2');
    expect(second).toBeDefined();
    expect(second).not.toBe(first);
    names.nameOf('SELECT 3');
    expect(names.nameOf('SELECT 3')).toBeUndefined();
    expect(names.nameOf('SELECT 1')).toBe(first);
  });

  it('forgets texts seen once in bulk, so that one-off texts take bounded memory', () => {
    const names = new StatementNames(100, 3);
    for (const text of ['a', 'b', 'c']) names.nameOf(text);
    names.nameOf('d'); // the set was full: cleared, then 'd' remembered
    expect(names.nameOf('a')).toBeUndefined();
    expect(names.nameOf('d')).toBeDefined();
  });
});

describe.runIf(testDatabaseKind() === 'postgres')('Database.sql on PostgreSQL', () => {
  it('prepares a statement that recurs, once per connection (and only with preparedStatements)', async () => {
    for (const preparedStatements of [true, false]) {
      const pool = new pg.Pool({ connectionString: database.url, max: 1 });
      const sql = postgresSqlDriver(pool, { connectionWaitMs: scaled(20_000), transactionTimeoutMs: scaled(20_000) }, () => undefined, { preparedStatements });
      try {
        const sums: number[] = [];
        for (let i = 0; i < 3; i++) {
          sums.push(...(await sql.query<{ n: number }>(Prisma.sql`SELECT ${i}::int + 40 AS "n" /* prepared-test */`)).map((row) => row.n));
          await sql.transaction(async (tx) => sums.push(...(await tx.query<{ n: number }>(Prisma.sql`SELECT ${i}::int + 40 AS "n" /* prepared-test */`)).map((row) => row.n)));
        }
        expect(sums).toEqual([40, 40, 41, 41, 42, 42]);
        const prepared = await pool.query(`SELECT "statement" FROM pg_prepared_statements WHERE "statement" LIKE '%prepared-test%'`);
        expect(prepared.rows.length).toBe(preparedStatements ? 1 : 0);
      } finally {
        await pool.end();
      }
    }
  });

  it('discards the connection of a prepared statement whose result columns a migration changed, and prepares it anew', async () => {
    const pool = new pg.Pool({ connectionString: database.url, max: 1 });
    const sql = postgresSqlDriver(pool, { connectionWaitMs: scaled(20_000), transactionTimeoutMs: scaled(20_000) }, () => undefined);
    const other = new pg.Client({ connectionString: database.url });
    await other.connect();
    try {
      await other.query('DROP TABLE IF EXISTS "Migrated"; CREATE TABLE "Migrated" ("a" int); INSERT INTO "Migrated" VALUES (1)');
      const read = () => sql.transaction((tx) => tx.query<Record<string, number | null>>(Prisma.sql`SELECT * FROM "Migrated"`));
      expect(await read()).toEqual([{ a: 1 }]);
      expect(await read()).toEqual([{ a: 1 }]);
      await other.query('ALTER TABLE "Migrated" ADD COLUMN "b" int');
      // The prepared statement fails once on its connection (0A000)...
      await expect(read()).rejects.toMatchObject({ code: '0A000' });
      // ...which is then replaced: the next read sees the new column.
      expect(await read()).toEqual([{ a: 1, b: null }]);
    } finally {
      await other.query('DROP TABLE IF EXISTS "Migrated"');
      await other.end();
      await pool.end();
    }
  });

  it('bounds by transactionTimeoutMs the wait for a lock another connection holds (another process writing the entity)', async () => {
    const pool = new pg.Pool({ connectionString: database.url, max: 2 });
    const sql = postgresSqlDriver(pool, { connectionWaitMs: scaled(20_000), transactionTimeoutMs: 200 }, () => undefined);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let locked!: () => void;
    const holding = new Promise<void>((resolve) => (locked = resolve));
    const holder = pool.connect().then(async (client) => {
      try {
        await client.query('BEGIN');
        await client.query('SELECT pg_advisory_xact_lock(434343, 1)');
        locked();
        await held;
        await client.query('COMMIT');
      } finally {
        client.release();
      }
    });
    try {
      await holding;
      const waiting = sql.transaction((tx) => tx.query(Prisma.sql`SELECT pg_advisory_xact_lock(434343, 1)`));
      const outcome = await Promise.race([waiting.catch((error: unknown) => error), sleep(scaled(20_000)).then(() => 'still waiting for the lock')]);
      expect(outcome).toBeInstanceOf(TransactionTimeoutError);
    } finally {
      release();
      await holder;
      await pool.end();
    }
  }, scaled(60_000));

  it("rejects a deadlock's victim with an error the pipeline retries", async () => {
    let bothLocked!: () => void;
    const barrier = new Promise<void>((resolve) => (bothLocked = resolve));
    let locked = 0;
    const crossing = (first: number, second: number) =>
      database.db.sql.transaction(async (sql) => {
        await sql.query(Prisma.sql`SELECT pg_advisory_xact_lock(424242, ${first}::int)`);
        if (++locked === 2) bothLocked();
        await barrier;
        await sql.query(Prisma.sql`SELECT pg_advisory_xact_lock(424242, ${second}::int)`);
      });
    const outcomes = await Promise.allSettled([crossing(1, 2), crossing(2, 1)]);
    const failures = outcomes.filter((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
    expect(failures).toHaveLength(1);
    expect(isRetryableTransactionError(failures[0]!.reason)).toBe(true);
  }, scaled(30_000));
});
