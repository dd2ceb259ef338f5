import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqlExecutor, StatementOptions } from '../src/db/sql-executor.js';
import { type SqlDriver, TransactionTimeoutError } from '../src/db/sql-transaction.js';
import { NotFoundError } from '../src/domain/errors.js';
import { currentRequestId, requestContext } from '../src/request-context.js';
import { Prisma } from '../src/generated/prisma/client.js';
import { inEntityBatch, writersInLine, type WriterScope } from '../src/services/pipeline/entity-batch.js';
import { entityQueueKey, inEntityQueues, writersWaiting } from '../src/services/pipeline/entity-queue.js';
import { CreateTrackDocument, ReleaseDocument, SetDefaultTrackDocument } from './generated/graphql.js';
import { loginAdmin } from './support/accounts.js';
import { pushArchive, pushOk } from './support/push.js';
import { seed, type SeededUser } from './support/seed.js';
import { withStatements } from './support/statements.js';
import { createTestStore, type TestStore } from './support/store.js';
import { charmZip } from './support/zip.js';

// Group commit (src/services/pipeline/entity-batch.ts): the writers of one
// entity that queue behind its open transaction share the next one, each
// behind a savepoint.

let store: TestStore;
let kirk: SeededUser;

beforeAll(async () => {
  store = await createTestStore();
  kirk = await seed(store, await loginAdmin(store)).user('kirk');
});
afterAll(async () => {
  await store.close();
});

const BATCH_MAX = 16;

async function waitUntil(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 10));
}

/**
 * Holds the entity's queue while sending `writers`: the first, until it waits
 * for the queue itself (it will run alone), then the others, until they all
 * wait in the entity's line (they will share a transaction); then lets them
 * go and returns what they answered, in the order given. The first is sent
 * first so that which writer runs alone does not depend on how fast each
 * request reaches the pipeline.
 */
async function queuedBehind<T>(key: string, writers: Array<() => Promise<T>>): Promise<T[]> {
  const [first, ...rest] = writers;
  const sent: Array<Promise<T>> = [];
  await inEntityQueues([key], async () => {
    sent.push(first!());
    await waitUntil(() => writersWaiting(key) === 1);
    sent.push(...rest.map((writer) => writer()));
    await waitUntil(() => writersInLine(store.database.db.sql, key) === rest.length);
  });
  return Promise.all(sent);
}

const count = (statements: string[], text: string) => statements.filter((statement) => statement.trim() === text).length;

describe('writers of one entity that queued share a transaction', () => {
  it('pushes and releases: each answered as if alone, a failing one changes nothing, two COMMITs for ten writes', async () => {
    const charm = await pushOk(store, kirk.token, charmZip({ name: 'batched', revisionNote: 'v0' }), 'cs:~kirk/batched');
    expect(charm.revision.number).toBe(0);
    const key = entityQueueKey('kirk', 'batched');
    const push = (i: number) => pushArchive(store, kirk.token, charmZip({ name: 'batched', revisionNote: `v${i + 1}` }), 'cs:~kirk/batched');
    const release = (revision: number, channel: string) => store.execute(ReleaseDocument, { input: { url: 'cs:~kirk/batched', revision, channels: [channel] } }, { token: kirk.token });
    const { result: answers, statements } = await withStatements(store, () =>
      queuedBehind<unknown>(key, [
        ...Array.from({ length: 7 }, (_, i) => () => push(i)),
        () => release(0, 'edge'),
        () => release(99, 'beta'),
        () => release(0, 'candidate'),
      ]),
    );
    const typenames = (answers as Array<{ data: Record<string, { __typename: string; revision?: { number: number }; message?: string }> }>).map(
      (answer) => Object.values(answer.data)[0]!,
    );
    expect(typenames.slice(0, 7).map((answer) => answer.__typename)).toEqual(Array(7).fill('PushSuccess'));
    // Consecutive numbers: each push read nextRevision after the ones before it in the batch wrote it.
    expect(typenames.slice(0, 7).map((answer) => answer.revision!.number).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(typenames[7]!.__typename).toBe('ReleaseSuccess');
    expect(typenames[8]).toMatchObject({ __typename: 'NotFoundError' });
    expect(typenames[8]!.message).toContain('has no revision 99');
    expect(typenames[9]!.__typename).toBe('ReleaseSuccess');
    // One transaction for the first writer (it waited for the queue itself), one for the nine behind it.
    expect(count(statements, 'COMMIT')).toBe(2);
    expect(count(statements, 'SAVEPOINT entity_batch_member')).toBe(9);
    expect(count(statements, 'ROLLBACK TO SAVEPOINT entity_batch_member')).toBe(1);

    const prisma = store.database.db.prisma;
    const entity = await prisma.entity.findFirstOrThrow({ where: { name: 'batched' } });
    expect(await prisma.revision.count({ where: { entityId: entity.id } })).toBe(8);
    expect(entity.nextRevision).toBe(8);
    const channels = await prisma.channel.findMany({ where: { entityId: entity.id }, include: { history: true } });
    expect(channels.map((channel) => `${channel.risk}:${channel.history.length}`).sort()).toEqual(['CANDIDATE:1', 'EDGE:1']);
    const audited = await prisma.auditEvent.groupBy({ by: ['action'], where: { entityId: entity.id }, _count: true });
    expect(Object.fromEntries(audited.map((row) => [row.action, row._count]))).toEqual({ push: 8, release: 2 });
  });

  it('at most STORE_WRITE_BATCH_MAX writers per transaction', async () => {
    await pushOk(store, kirk.token, charmZip({ name: 'many-writers', revisionNote: 'v0' }), 'cs:~kirk/many-writers');
    const key = entityQueueKey('kirk', 'many-writers');
    const writers = BATCH_MAX + 4;
    const { result: answers, statements } = await withStatements(store, () =>
      queuedBehind(
        key,
        Array.from({ length: writers }, (_, i) => () =>
          store.execute(ReleaseDocument, { input: { url: 'cs:~kirk/many-writers', revision: 0, channels: [`edge/b${i}`] } }, { token: kirk.token }),
        ),
      ),
    );
    expect(answers.map((answer) => answer.data?.release.__typename)).toEqual(Array(writers).fill('ReleaseSuccess'));
    // The first alone, then 16, then the last 3.
    expect(count(statements, 'COMMIT')).toBe(3);
    expect(count(statements, 'SAVEPOINT entity_batch_member')).toBe(writers - 1);
  });
  it("each release reads its revision and channels with its locking read, alone or behind another, on the entity's default track", async () => {
    await pushOk(store, kirk.token, charmZip({ name: 'folded', revisionNote: 'v0' }), 'cs:~kirk/folded');
    await pushOk(store, kirk.token, charmZip({ name: 'folded', revisionNote: 'v1' }), 'cs:~kirk/folded');
    const track = await store.execute(CreateTrackDocument, { input: { url: 'cs:~kirk/folded', name: '2.0' } }, { token: kirk.token });
    expect(track.data?.createTrack.__typename).toBe('CreateTrackSuccess');
    const defaulted = await store.execute(SetDefaultTrackDocument, { input: { url: 'cs:~kirk/folded', track: '2.0' } }, { token: kirk.token });
    expect(defaulted.data?.setDefaultTrack.__typename).toBe('SetDefaultTrackSuccess');
    const release = (revision: number, channels: string[]) =>
      store.execute(ReleaseDocument, { input: { url: 'cs:~kirk/folded', revision, channels } }, { token: kirk.token });
    const { result: answers, statements } = await withStatements(store, () =>
      queuedBehind(entityQueueKey('kirk', 'folded'), [
        () => release(0, ['edge']),
        // "edge" is 2.0/edge here: once.
        () => release(1, ['edge', '2.0/edge', 'latest/beta']),
        () => release(0, ['beta/fix']),
        () => release(1, ['edge']),
      ]),
    );
    const released = answers.map((answer) => answer.data!.release as { __typename: string; releases?: Array<{ channel: string }>; message?: string });
    expect(released.map((answer) => answer.__typename)).toEqual(['ReleaseSuccess', 'ReleaseSuccess', 'ReleaseSuccess', 'ReleaseSuccess']);
    expect(released[1]!.releases!.map((entry) => entry.channel)).toEqual(['2.0/edge', 'latest/beta']);
    expect(released[2]!.releases!.map((entry) => entry.channel)).toEqual(['2.0/beta/fix']);
    // Each reads them with the caller's rights, under the lock, in no statement of its own.
    const reads = statements.filter((statement) => statement.includes('"targetChannels"'));
    expect(reads).toHaveLength(4);
    for (const read of reads) expect(read).toContain('"callerGroups"');
    // The first alone, then three in one transaction: the first alone and the first of the three take the lock
    // (without waiting), the two behind hold it already.
    expect(statements.filter((statement) => statement.includes('FOR UPDATE OF e SKIP LOCKED'))).toHaveLength(2);
    expect(statements.filter((statement) => /FOR UPDATE OF e\s*\)/.test(statement))).toHaveLength(2);
    // Every pointer is its channel's newest release, and each channel got exactly the releases named for it.
    const prisma = store.database.db.prisma;
    const entity = await prisma.entity.findFirstOrThrow({ where: { name: 'folded' } });
    const channels = await prisma.channel.findMany({ where: { entityId: entity.id }, include: { history: { orderBy: { id: 'desc' }, include: { revision: true } } } });
    const byName = Object.fromEntries(channels.map((channel) => [[channel.track, channel.risk.toLowerCase(), channel.branch].filter(Boolean).join('/'), channel]));
    expect(Object.fromEntries(Object.entries(byName).map(([name, channel]) => [name, channel.history.length]))).toEqual({ '2.0/edge': 3, 'latest/beta': 1, '2.0/beta/fix': 1 });
    for (const channel of channels) expect(channel.revisionId).toBe(channel.history[0]!.revisionId);
    expect(byName['latest/beta']!.history[0]!.revision!.number).toBe(1);
    expect(byName['2.0/beta/fix']!.history[0]!.revision!.number).toBe(0);
  });
});

describe('a batch on the database, member by member', () => {
  const sql = () => store.database.db.sql;
  const insert = (db: SqlExecutor, value: string) => db.query(Prisma.sql`INSERT INTO batch_probe (v) VALUES (${value})`);
  const probe = async () => (await store.database.db.prisma.$queryRawUnsafe<Array<{ v: string }>>('SELECT v FROM batch_probe ORDER BY v')).map((row) => row.v);

  beforeAll(async () => {
    await store.database.db.prisma.$executeRawUnsafe('CREATE TABLE batch_probe (v text NOT NULL)');
  });
  afterAll(async () => {
    await store.database.db.prisma.$executeRawUnsafe('DROP TABLE batch_probe');
  });

  /** Runs `members` as one batch behind a first writer, returns their settled outcomes and the statements sent. */
  async function batch(key: string, members: Array<(db: SqlExecutor) => Promise<string>>) {
    let settled: Array<PromiseSettledResult<string>> = [];
    const { statements } = await withStatements(store, async () => {
      let first: Promise<unknown> = Promise.resolve();
      let sent: Array<Promise<string>> = [];
      await inEntityQueues([key], async () => {
        first = inEntityBatch(sql(), key, BATCH_MAX, ({ sql: db }) => insert(db, `${key}-first`));
        await waitUntil(() => writersWaiting(key) === 1);
        sent = members.map((member) => inEntityBatch(sql(), key, BATCH_MAX, ({ sql: db }) => member(db)));
        expect(writersInLine(sql(), key)).toBe(members.length);
      });
      await first;
      settled = await Promise.allSettled(sent);
    });
    return { settled, statements };
  }

  it('a writer alone whose last statement carries the COMMIT: committed when it succeeds, nothing when it fails', async () => {
    const last = (db: SqlExecutor, value: string | null) => db.query(Prisma.sql`INSERT INTO batch_probe (v) VALUES (${value})`, { commit: true });
    const ok = await inEntityBatch(sql(), 'last-ok', BATCH_MAX, async ({ sql: db }) => (await insert(db, 'last-1'), await last(db, 'last-2'), 'done'));
    expect(ok).toBe('done');
    // NOT NULL: the last statement fails, so its COMMIT rolls back.
    const failed = inEntityBatch(sql(), 'last-failed', BATCH_MAX, async ({ sql: db }) => (await insert(db, 'last-3'), await last(db, null), 'not answered'));
    await expect(failed).rejects.toThrow(/null value/);
    expect((await probe()).filter((value) => value.startsWith('last-'))).toEqual(['last-1', 'last-2']);
    // The connection went back with its transaction over: the next one on it works.
    expect(await inEntityBatch(sql(), 'last-after', BATCH_MAX, async ({ sql: db }) => (await insert(db, 'last-4'), 'again'))).toBe('again');
    expect((await probe()).filter((value) => value.startsWith('last-'))).toEqual(['last-1', 'last-2', 'last-4']);
  });

  it('a member that fails after writing is rolled back to its savepoint, alone, with its own error', async () => {
    const { settled, statements } = await batch('probe-a', [
      async (db) => (await insert(db, 'a1'), 'one'),
      async (db) => {
        await insert(db, 'a2-undone');
        throw new NotFoundError('no such thing');
      },
      async (db) => {
        await insert(db, 'a3-undone');
        await db.query(Prisma.sql`SELECT 1 / 0`);
        return 'never';
      },
      async (db) => (await insert(db, 'a4'), 'four'),
    ]);
    expect(settled[0]).toEqual({ status: 'fulfilled', value: 'one' });
    expect(settled[1]).toMatchObject({ status: 'rejected', reason: expect.any(NotFoundError) });
    expect(settled[2]).toMatchObject({ status: 'rejected', reason: expect.objectContaining({ message: expect.stringMatching(/division by zero/) }) });
    expect(settled[3]).toEqual({ status: 'fulfilled', value: 'four' });
    expect((await probe()).filter((v) => v.startsWith('a') || v.startsWith('probe-a'))).toEqual(['a1', 'a4', 'probe-a-first']);
    expect(count(statements, 'COMMIT')).toBe(2);
  });

  it('a member that left the transaction unusable: the others run again, each alone, and are committed', async () => {
    const { settled, statements } = await batch('probe-b', [
      async (db) => (await insert(db, 'b1'), 'one'),
      async (db) => {
        await insert(db, 'b2-lost');
        // Caught and ignored: the transaction is aborted all the same, so it must not be acknowledged.
        await db.query(Prisma.sql`SELECT 1 / 0`).catch(() => undefined);
        return 'swallowed';
      },
      async (db) => (await insert(db, 'b3'), 'three'),
    ]);
    expect(settled[0]).toEqual({ status: 'fulfilled', value: 'one' });
    expect(settled[1]).toMatchObject({ status: 'rejected', reason: expect.objectContaining({ message: expect.stringMatching(/rolled back|aborted/i) }) });
    expect(settled[2]).toEqual({ status: 'fulfilled', value: 'three' });
    expect((await probe()).filter((v) => v.startsWith('b') || v.startsWith('probe-b'))).toEqual(['b1', 'b3', 'probe-b-first']);
    // The first, then the failed batch (rolled back), then each member alone: two of them committed.
    expect(count(statements, 'COMMIT')).toBeGreaterThanOrEqual(3);
  });

  it('the connection lost mid-batch (PostgreSQL): the member running gets the error, the others run again alone and commit', async (test) => {
    if (store.database.db.kind !== 'postgres') test.skip();
    const { settled } = await batch('probe-d', [
      async (db) => (await insert(db, 'd1'), 'one'),
      async (db) => {
        await insert(db, 'd2-lost');
        await db.query(Prisma.sql`SELECT pg_terminate_backend(pg_backend_pid())`);
        return 'never';
      },
      async (db) => (await insert(db, 'd3'), 'three'),
    ]);
    expect(settled[0]).toEqual({ status: 'fulfilled', value: 'one' });
    expect(settled[1]).toMatchObject({ status: 'rejected', reason: expect.objectContaining({ message: expect.stringMatching(/terminat/i) }) });
    expect(settled[2]).toEqual({ status: 'fulfilled', value: 'three' });
    expect((await probe()).filter((v) => v.startsWith('d'))).toEqual(['d1', 'd3']);
  });

  it('the last member left the transaction unusable: nothing is acknowledged that did not commit', async () => {
    const { settled } = await batch('probe-c', [
      async (db) => (await insert(db, 'c1'), 'one'),
      async (db) => {
        await insert(db, 'c2-lost');
        // Caught and ignored, and no member after it whose SAVEPOINT would be refused: the COMMIT itself must tell.
        await db.query(Prisma.sql`SELECT 1 / 0`).catch(() => undefined);
        return 'swallowed';
      },
    ]);
    const committed = (await probe()).filter((v) => v.startsWith('c') && !v.startsWith('probe'));
    expect(settled[0]).toEqual({ status: 'fulfilled', value: 'one' });
    expect(committed).toEqual(['c1']);
    expect(settled[1]).toMatchObject({ status: 'rejected' });
  });
});

describe('a batch whose transaction fails (a driver that fails on demand)', () => {
  /** A driver whose transactions record their statements, time out after `limitMs`, and whose COMMIT may fail. */
  function fakeDriver(options: { limitMs?: number; commit?: (transaction: number) => void }) {
    const transactions: string[][] = [];
    const driver: SqlDriver = {
      query: async () => [],
      transaction: async (work) => {
        const statements: string[] = [];
        const index = transactions.push(statements) - 1;
        const executor: SqlExecutor = {
          query: async <Row>(statement: Prisma.Sql, statementOptions?: StatementOptions) => {
            statements.push(statement.text.trim() + (statementOptions?.commit ? ' +COMMIT' : ''));
            return [] as Row[];
          },
        };
        let timer: NodeJS.Timeout | undefined;
        const expiry = new Promise<never>((_, reject) => {
          if (options.limitMs !== undefined) timer = setTimeout(() => reject(new TransactionTimeoutError('too long')), options.limitMs);
        });
        try {
          const result = await Promise.race([work(executor), expiry]);
          options.commit?.(index);
          statements.push('COMMIT');
          return result;
        } catch (error) {
          statements.push('ROLLBACK');
          throw error;
        } finally {
          clearTimeout(timer);
        }
      },
    };
    return { driver, transactions };
  }

  /** Sends a first writer, then `members` while it runs: they form one batch. */
  async function run(driver: SqlDriver, members: Array<(db: SqlExecutor, scope: WriterScope) => Promise<string>>) {
    let letFirstGo!: () => void;
    const gate = new Promise<void>((resolve) => (letFirstGo = resolve));
    const first = inEntityBatch(driver, 'fake', BATCH_MAX, async () => (await gate, 'first'));
    const sent = members.map((member) => inEntityBatch(driver, 'fake', BATCH_MAX, (scope) => member(scope.sql, scope)));
    expect(writersInLine(driver, 'fake')).toBe(members.length);
    letFirstGo();
    await first;
    return Promise.allSettled(sent);
  }

  const ran: string[] = [];
  const member = (name: string) => async (db: SqlExecutor) => {
    ran.push(name);
    await db.query(Prisma.sql`SELECT ${name}`);
    return name;
  };

  it('past the time limit: the member it was running gets the error, the others run again alone, none after it ran in the failed one', async () => {
    ran.length = 0;
    const { driver, transactions } = fakeDriver({ limitMs: 200 });
    const hanging = async () => {
      ran.push('hang');
      return new Promise<string>(() => undefined);
    };
    const settled = await run(driver, [member('m1'), hanging, member('m3')]);
    expect(settled[0]).toEqual({ status: 'fulfilled', value: 'm1' });
    expect(settled[1]).toMatchObject({ status: 'rejected', reason: expect.any(TransactionTimeoutError) });
    expect(settled[2]).toEqual({ status: 'fulfilled', value: 'm3' });
    // m3 never began in the abandoned batch; m1 ran in it and again alone.
    expect(ran).toEqual(['m1', 'hang', 'm1', 'm3']);
    expect(transactions.map((statements) => statements.at(-1))).toEqual(['COMMIT', 'ROLLBACK', 'COMMIT', 'COMMIT']);
  });

  it('past the time limit because of the members before it: the member running then runs again alone, and succeeds', async () => {
    ran.length = 0;
    const { driver } = fakeDriver({ limitMs: 300 });
    // Each takes 200 ms (well within the limit alone); two of them in one transaction outlive it, during the second.
    const slow = (name: string) => async (db: SqlExecutor) => {
      ran.push(name);
      await new Promise((resolve) => setTimeout(resolve, 200));
      await db.query(Prisma.sql`SELECT ${name}`);
      return name;
    };
    const settled = await run(driver, [slow('s1'), slow('s2')]);
    expect(settled).toEqual([
      { status: 'fulfilled', value: 's1' },
      { status: 'fulfilled', value: 's2' },
    ]);
  });

  it('a COMMIT that fails is answered to every member that succeeded, and nothing runs again', async () => {
    ran.length = 0;
    const lost = new Error('connection lost during COMMIT');
    const { driver, transactions } = fakeDriver({
      commit: (transaction) => {
        if (transaction === 1) throw lost;
      },
    });
    const refused = async () => {
      throw new NotFoundError('refused on its own');
    };
    const settled = await run(driver, [member('m1'), refused, member('m3')]);
    expect(settled).toEqual([
      { status: 'rejected', reason: lost },
      { status: 'rejected', reason: expect.any(NotFoundError) },
      { status: 'rejected', reason: lost },
    ]);
    expect(ran).toEqual(['m1', 'm3']);
    expect(transactions).toHaveLength(2);
    expect(transactions[1]).toEqual([
      'SAVEPOINT entity_batch_member',
      "SELECT $1",
      'SAVEPOINT entity_batch_member',
      'ROLLBACK TO SAVEPOINT entity_batch_member',
      'SAVEPOINT entity_batch_member',
      'SELECT $1',
      'ROLLBACK',
    ]);
  });

  it('awaits before-commit work after every member ran, before the COMMIT: the next member does not wait for it', async () => {
    ran.length = 0;
    const { driver, transactions } = fakeDriver({});
    let diskDone = false;
    const slowDisk = async (db: SqlExecutor, scope: WriterScope) => {
      ran.push('slow');
      await db.query(Prisma.sql`SELECT 'slow'`);
      scope.beforeCommit(new Promise((resolve) => setTimeout(resolve, 100)).then(() => (diskDone = true)));
      return 'slow';
    };
    const next = async (db: SqlExecutor) => {
      // The member before it returned with its disk work still running.
      ran.push(diskDone ? 'next after the disk' : 'next before the disk');
      await db.query(Prisma.sql`SELECT 'next'`);
      return 'next';
    };
    const settled = await run(driver, [slowDisk, next]);
    expect(settled).toEqual([
      { status: 'fulfilled', value: 'slow' },
      { status: 'fulfilled', value: 'next' },
    ]);
    expect(ran).toEqual(['slow', 'next before the disk']);
    expect(diskDone).toBe(true);
    expect(transactions).toHaveLength(2);
    expect(transactions[1]!.at(-1)).toBe('COMMIT');
  });

  it('before-commit work that fails: nothing commits, each member runs again alone and answers its own', async () => {
    ran.length = 0;
    const { driver, transactions } = fakeDriver({});
    const full = new Error('ENOSPC: no space left on device');
    let attempts = 0;
    const failingDisk = async (db: SqlExecutor, scope: WriterScope) => {
      ran.push('disk');
      attempts += 1;
      await db.query(Prisma.sql`SELECT 'disk'`);
      scope.beforeCommit(Promise.reject(full));
      return 'disk';
    };
    const settled = await run(driver, [member('m1'), failingDisk, member('m3')]);
    expect(settled).toEqual([
      { status: 'fulfilled', value: 'm1' },
      { status: 'rejected', reason: full },
      { status: 'fulfilled', value: 'm3' },
    ]);
    expect(ran).toEqual(['m1', 'disk', 'm3', 'm1', 'disk', 'm3']);
    expect(attempts).toBe(2);
    expect(transactions.map((statements) => statements.at(-1))).toEqual(['COMMIT', 'ROLLBACK', 'COMMIT', 'ROLLBACK', 'COMMIT']);
  });

  it("runs each member in its own writer's async context (its request id in logs, its trace)", async () => {
    const { driver } = fakeDriver({});
    const seen: Array<string | undefined> = [];
    const send = (requestId: string) =>
      requestContext.run({ requestId, startedAt: 0 }, () =>
        inEntityBatch(driver, 'contexts', BATCH_MAX, async () => {
          seen.push(currentRequestId());
          await new Promise((resolve) => setTimeout(resolve, 5));
          return requestId;
        }),
      );
    expect(await Promise.all(['r1', 'r2', 'r3', 'r4'].map(send))).toEqual(['r1', 'r2', 'r3', 'r4']);
    expect(seen).toEqual(['r1', 'r2', 'r3', 'r4']);
  });

  it('a writer alone sends its last statement with the COMMIT, unless before-commit work is pending; a batched one never does', async () => {
    const { driver, transactions } = fakeDriver({});
    const last = (db: SqlExecutor, text: string) => db.query(Prisma.raw(text), { commit: true });
    expect(await inEntityBatch(driver, 'last-a', BATCH_MAX, async ({ sql }) => (await last(sql, 'w1'), 'a'))).toBe('a');
    expect(await inEntityBatch(driver, 'last-b', BATCH_MAX, async ({ sql, beforeCommit }) => (beforeCommit(Promise.resolve()), await last(sql, 'w2'), 'b'))).toBe('b');
    // Work that must be done before the COMMIT cannot start once it was sent.
    const late = inEntityBatch(driver, 'last-c', BATCH_MAX, async ({ sql, beforeCommit }) => (await last(sql, 'w3'), beforeCommit(Promise.resolve()), 'c'));
    await expect(late).rejects.toThrow('Before-commit work started after the COMMIT was sent');
    expect(transactions).toEqual([
      ['w1 +COMMIT', 'COMMIT'],
      ['w2', 'COMMIT'],
      ['w3 +COMMIT', 'ROLLBACK'],
    ]);
    transactions.length = 0;
    // Members of a batch: the batch commits once, after all of them.
    await run(driver, [async (db) => (await last(db, 'm1'), 'm1'), async (db) => (await last(db, 'm2'), 'm2')]);
    expect(transactions.flat().filter((statement) => statement.endsWith('+COMMIT'))).toEqual([]);
  });

  it('STORE_WRITE_BATCH_MAX=1: every writer alone', async () => {
    const { driver, transactions } = fakeDriver({});
    const answers = await Promise.all([1, 2, 3].map((i) => inEntityBatch(driver, 'alone', 1, async () => `w${i}`)));
    expect(answers).toEqual(['w1', 'w2', 'w3']);
    expect(transactions).toEqual([['COMMIT'], ['COMMIT'], ['COMMIT']]);
  });
});
