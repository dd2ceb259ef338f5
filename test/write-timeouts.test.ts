import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_DATABASE_TUNING } from '../src/config.js';
import { Prisma } from '../src/generated/prisma/client.js';
import { createUserAndLogin, loginAdmin } from './support/accounts.js';
import { createTestDatabase, testDatabaseKind, withAdminClient } from './support/database.js';
import { pushOk } from './support/push.js';
import { createTestStore, type TestStore } from './support/store.js';
import { charmZip } from './support/zip.js';

const TRANSACTION_TIMEOUT_MS = 500;

const RELEASE = `mutation Release($input: ReleaseInput!) {
  release(input: $input) { __typename ... on ReleaseSuccess { releases { channel revision { number } } } ... on Error { message } }
}`;

// Another process writing the entity holds its row lock: PostgreSQL only (PGlite has one connection, whose waits are
// bounded by the connection wait instead, already a 503).
describe.runIf(testDatabaseKind() === 'postgres')('a write that cannot finish within the transaction time limit', () => {
  let store: TestStore;
  let kirk: string;

  beforeAll(async () => {
    const database = await createTestDatabase({ ...DEFAULT_DATABASE_TUNING, transactionTimeoutMs: TRANSACTION_TIMEOUT_MS });
    store = await createTestStore({ database });
    kirk = await createUserAndLogin(store, await loginAdmin(store), 'kirk');
    await pushOk(store, kirk, charmZip({ name: 'foo' }), 'cs:~kirk/foo');
  });
  afterAll(async () => {
    await store?.close();
  });

  const release = () =>
    store.request('/graphql', {
      method: 'POST',
      token: kirk,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: RELEASE, variables: { input: { url: '~kirk/foo', revision: 0, channels: ['stable'] } } }),
    });

  it('answers 503 with Retry-After, writes nothing, and the same request succeeds once the lock is free', async () => {
    const answer = await withAdminClient(async (client) => {
      await client.query('BEGIN');
      try {
        await client.query(`SELECT 1 FROM "Entity" WHERE "name" = 'foo' FOR UPDATE`);
        const response = await release();
        return { status: response.status, retryAfter: response.headers.get('retry-after'), body: (await response.json()) as { data?: unknown; errors?: Array<{ extensions?: { code?: string } }> } };
      } finally {
        await client.query('ROLLBACK');
      }
    }, store.database.url);
    expect(answer.status, JSON.stringify(answer.body)).toBe(503);
    expect(answer.retryAfter).toBe('5');
    expect(answer.body.errors?.map((error) => error.extensions?.code)).toEqual(['SERVICE_UNAVAILABLE']);
    expect(await store.database.db.prisma.release.count()).toBe(0);

    const retried = await release();
    expect(retried.status).toBe(200);
    expect(await retried.json()).toEqual({ data: { release: { __typename: 'ReleaseSuccess', releases: [{ channel: 'latest/stable', revision: { number: 0 } }] } } });
  });

  it('once the COMMIT went out behind the last statement, the outcome is the COMMIT\'s, not the time limit\'s', async () => {
    const prisma = store.database.db.prisma;
    await prisma.$executeRawUnsafe('CREATE TABLE commit_probe (v text NOT NULL)');
    try {
      // The work goes on past the time limit after its last statement (its COMMIT already sent): it is waited for, and
      // what it answers stands, as the write is committed.
      const answer = await store.database.db.sql.transaction(async (tx) => {
        await tx.query(Prisma.sql`INSERT INTO commit_probe (v) VALUES ('committed')`, { commit: true });
        await new Promise((resolve) => setTimeout(resolve, TRANSACTION_TIMEOUT_MS * 2));
        return 'answered';
      });
      expect(answer).toBe('answered');
      expect(await prisma.$queryRawUnsafe('SELECT v FROM commit_probe')).toEqual([{ v: 'committed' }]);
      // A statement after it is a defect, refused: the COMMIT went out with the one before it.
      const after = store.database.db.sql.transaction(async (tx) => {
        await tx.query(Prisma.sql`INSERT INTO commit_probe (v) VALUES ('last')`, { commit: true });
        return tx.query(Prisma.sql`INSERT INTO commit_probe (v) VALUES ('after')`);
      });
      await expect(after).rejects.toThrow('A statement after the one the transaction commits with');
      expect(await prisma.$queryRawUnsafe('SELECT v FROM commit_probe ORDER BY v')).toEqual([{ v: 'committed' }, { v: 'last' }]);
    } finally {
      await prisma.$executeRawUnsafe('DROP TABLE commit_probe');
    }
  });
});
