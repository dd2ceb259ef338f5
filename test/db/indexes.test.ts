import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestStore, type TestStore } from '../support/store.js';

let store: TestStore;
beforeAll(async () => {
  store = await createTestStore();
});
afterAll(() => store.close());

/** The plan of `sql` with sequential scans priced out, so that the plan shows whether an index can serve it even on a small table. */
async function planOf(sql: string): Promise<string> {
  return store.database.db.prisma.$transaction(async (tx) => {
    await tx.$executeRawUnsafe('SET LOCAL enable_seqscan = off');
    const rows = await tx.$queryRawUnsafe<{ 'QUERY PLAN': string }[]>(`EXPLAIN ${sql}`);
    return rows.map((row) => row['QUERY PLAN']).join('\n');
  });
}

describe('indexes', () => {
  // Entity lists (the dashboard) keep an entity when it is public or an ACL entry names one of the caller's
  // principals (`everyone` for anonymous callers). Without an index on the principal, that subquery read
  // every ACL entry of the store on each page: 25 ms at 100,000 entities, against 1.6 ms with it.
  it('finds the ACL entries naming a principal through an index, not by reading every entry', async () => {
    const plan = await planOf(
      `SELECT e.id FROM "Entity" e WHERE NOT e."private" OR e.id IN (SELECT a."entityId" FROM "AclEntry" a WHERE a."principal" = 'everyone') ORDER BY e."name", e.id LIMIT 101`,
    );
    expect(plan).toContain('AclEntry_principal_entityId_idx');
    expect(plan).not.toMatch(/Seq Scan on "AclEntry"/);
  });
});
