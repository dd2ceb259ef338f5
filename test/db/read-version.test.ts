import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestStore, type TestStore } from '../support/store.js';

/**
 * The whole-answer cache (src/http/read-cache.ts) is only correct if every
 * write a read can show moves ReadVersion: the triggers of the migration
 * read_version do that, per table. A new table without them would let kept
 * answers go stale, so every table must have them or be listed here, with
 * the reason no kept answer can show it.
 */
const EXEMPT = {
  // Use times are written on reads; authentication reads the token on every request; `viewer.tokens` is never kept.
  Token: 'tokens',
  // Statistics flushed in the background; an answer showing them is never kept.
  DownloadCount: 'statistics',
  ReadVersion: 'the version itself',
  _prisma_migrations: 'migrations',
};

let store: TestStore;
beforeAll(async () => {
  store = await createTestStore();
});
afterAll(() => store.close());

const version = async () => (await store.database.db.prisma.$queryRaw<Array<{ version: bigint }>>`SELECT "version" FROM "ReadVersion"`)[0]!.version;

describe('ReadVersion', () => {
  it('is moved by a trigger on every table except the exempt ones', async () => {
    const rows = await store.database.db.prisma.$queryRaw<Array<{ name: string }>>`
      SELECT c.relname AS "name" FROM pg_class c
      WHERE c.relkind = 'r' AND c.relnamespace = current_schema()::regnamespace
        AND NOT EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgrelid = c.oid AND t.tgname = c.relname || '_read_version')
      ORDER BY 1`;
    expect(rows.map((row) => row.name).sort()).toEqual(Object.keys(EXEMPT).sort());
  });

  it('moves once per committed transaction, at commit, and not for a rolled-back one', async () => {
    const before = await version();
    await store.database.db.prisma.$transaction(async (tx) => {
      await tx.$executeRaw`INSERT INTO "Namespace" ("name") VALUES ('rv-a'), ('rv-b')`;
      await tx.$executeRaw`UPDATE "Namespace" SET "name" = 'rv-c' WHERE "name" = 'rv-b'`;
      // Deferred to the commit: not yet moved inside the transaction.
      expect((await tx.$queryRaw<Array<{ version: bigint }>>`SELECT "version" FROM "ReadVersion"`)[0]!.version).toBe(before);
    });
    expect(await version()).toBe(before + 1n);
    await expect(
      store.database.db.prisma.$transaction(async (tx) => {
        await tx.$executeRaw`DELETE FROM "Namespace" WHERE "name" = 'rv-a'`;
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect(await version()).toBe(before + 1n);
  });
});
