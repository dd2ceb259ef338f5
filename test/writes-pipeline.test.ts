import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { entityQueueKey, inEntityQueues, writersWaiting } from '../src/services/pipeline/entity-queue.js';
import type { DomainEvent } from '../src/services/pipeline/events.js';
import {
  CloseChannelsDocument,
  CloseTwiceDocument,
  GrantDocument,
  GrantThenRevokeDocument,
  PushDocument,
  PushResourceDocument,
  ReleaseDocument,
  RemoveGroupMemberDocument,
} from './generated/graphql.js';
import { loginAdmin } from './support/accounts.js';
import { testDatabaseKind } from './support/database.js';
import { type ServerProcess, startServer } from './support/process.js';
import { expectStoreUnchanged, pushArchive, pushOk } from './support/push.js';
import { seed, type SeededUser } from './support/seed.js';
import { createTestStore, type TestStore } from './support/store.js';
import { charmZip } from './support/zip.js';
import { scaled } from './support/timing.js';

const N = 100;
const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const onPostgres = testDatabaseKind() === 'postgres';

let store: TestStore;
let admin: string;
let kirk: SeededUser;
let spock: SeededUser;
/** On PostgreSQL, a second server process on the same schema takes every other request. */
let second: ServerProcess | undefined;

beforeAll(async () => {
  // A real clock: the second process has one too, and must accept the same tokens.
  store = await createTestStore({ realClock: true });
  admin = await loginAdmin(store);
  const seeded = seed(store, admin);
  kirk = await seeded.user('kirk');
  spock = await seeded.user('spock');
  if (onPostgres) {
    second = await startServer({ DATABASE_URL: store.database.url!, STORE_BLOB_DIR: store.blobDir, STORE_DATA_DIR: store.blobDir });
  }
}, scaled(120_000));
afterAll(async () => {
  await second?.stop();
  await store.close();
});

const prisma = () => store.database.db.prisma;

/** Sends request `index` in-process, or to the second process for odd indexes when there is one. */
async function send<R, V extends Record<string, unknown>>(index: number, document: TypedDocumentNode<R, V>, variables: V, token: string): Promise<R> {
  if (second && index % 2 === 1) {
    const response = await fetch(`${second.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: print(document), variables }),
    });
    return ((await response.json()) as { data: R }).data;
  }
  return (await store.execute(document, variables, { token })).data!;
}

/** A multipart request (push, pushResource) in-process, or to the second process for odd indexes. */
async function sendFile<R>(index: number, document: TypedDocumentNode<R, never>, variables: Record<string, unknown>, path: string, file: File): Promise<R> {
  if (second && index % 2 === 1) {
    const form = new FormData();
    form.set('operations', JSON.stringify({ query: print(document), variables }));
    form.set('map', JSON.stringify({ 0: [`variables.${path}`] }));
    form.set('0', file);
    const response = await fetch(`${second.url}/graphql`, { method: 'POST', headers: { authorization: `Bearer ${kirk.token}`, 'x-graphql-yoga-csrf': '1' }, body: form });
    return ((await response.json()) as { data: R }).data;
  }
  return (await store.executeMultipart(document, variables as never, { [path]: file }, { token: kirk.token })).data!;
}

const archive = (name: string, note: string, resources?: Record<string, { type?: string }>) =>
  new File([new Uint8Array(charmZip({ name, revisionNote: note, resources }))], 'charm.zip');

describe(`100 concurrent writes to one entity (${testDatabaseKind()}${onPostgres ? ', two server processes' : ', one process'})`, () => {
  it('numbers 100 concurrent pushes 0..99, all acknowledged, with no gap', async () => {
    const results = await Promise.all(
      range(N).map((i) => sendFile(i, PushDocument as never, { input: { archive: null } }, 'input.archive', archive('crowded', `push ${i}`))),
    );
    const outcomes = results.map((data) => (data as { push: { __typename: string; revision?: { number: number } } }).push);
    expect(outcomes.filter((push) => push.__typename !== 'PushSuccess')).toEqual([]);
    expect(outcomes.map((push) => push.revision!.number).sort((a, b) => a - b)).toEqual(range(N));
    const rows = await prisma().revision.findMany({ where: { entity: { name: 'crowded' } }, select: { number: true }, orderBy: { number: 'asc' } });
    expect(rows.map((row) => row.number)).toEqual(range(N));
    const entity = await prisma().entity.findFirstOrThrow({ where: { name: 'crowded' } });
    expect(entity.nextRevision).toBe(N);
    expect(await prisma().auditEvent.count({ where: { entityId: entity.id, action: 'push' } })).toBe(N);
  }, scaled(600_000));

  it('applies 100 concurrent three-channel releases one after the other: every history exact', async () => {
    const busy = await kirk.charm('busy-releases', { revisions: N });
    const channels = ['edge', 'beta', 'candidate'];
    const results = await Promise.all(
      range(N).map((i) =>
        send(i, ReleaseDocument, { input: { url: `${busy.url}-${i}`, channels: [...channels.slice(i % 3), ...channels.slice(0, i % 3)] } }, kirk.token),
      ),
    );
    expect(results.map((data) => data.release.__typename)).toEqual(range(N).map(() => 'ReleaseSuccess'));
    const rows = await prisma().channel.findMany({ where: { entityId: busy.id }, include: { history: { orderBy: { id: 'asc' } } } });
    expect(rows.map((row) => row.risk).sort()).toEqual(['BETA', 'CANDIDATE', 'EDGE']);
    const revisionIds = await prisma().revision.findMany({ where: { entityId: busy.id }, select: { id: true } });
    const sequences = rows.map((row) => row.history.map((entry) => entry.revisionId));
    for (const [index, row] of rows.entries()) {
      // One entry per release, each revision once; the pointer is the newest entry.
      expect(row.history).toHaveLength(N);
      expect([...sequences[index]!].sort()).toEqual(revisionIds.map((revision) => revision.id).sort());
      expect(row.revisionId).toBe(row.history.at(-1)!.revisionId);
      // Releases never interleave: every channel saw them in the same order.
      expect(sequences[index]).toEqual(sequences[0]);
    }
  }, scaled(600_000));

  // 40 rounds where the two meet at the database (two processes, PostgreSQL);
  // 20 on PGlite, where both go through one process's entity queue: the
  // cross-process race is the PostgreSQL run's, and 20 more rounds of the
  // in-process one cost ~1 s of CPU.
  const raceRounds = onPostgres ? 40 : 20;
  it(`races push against pushResource on one entity ${raceRounds} times without an error`, async () => {
    const resources = { data: { type: 'file' } };
    await pushOk(store, kirk.token, charmZip({ name: 'racing', resources, revisionNote: 'start' }));
    for (const round of range(raceRounds)) {
      const [pushed, resource] = await Promise.all([
        sendFile(0, PushDocument as never, { input: { archive: null, url: 'racing' } }, 'input.archive', archive('racing', `round ${round}`, resources)),
        // The other process on PostgreSQL, so the two meet at the database, not in one process's queue.
        sendFile(1, PushResourceDocument as never, { input: { url: '~kirk/racing', name: 'data', file: null } }, 'input.file', new File([`round ${round}`], 'data')),
      ]);
      expect((pushed as { push: { __typename: string } }).push.__typename).toBe('PushSuccess');
      expect((resource as { pushResource: { __typename: string } }).pushResource.__typename).toBe('PushResourceSuccess');
    }
    const data = await prisma().resource.findFirstOrThrow({ where: { name: 'data', entity: { name: 'racing' } } });
    expect(data.nextRevision).toBe(raceRounds);
  }, scaled(600_000));
});

describe('two mutations in one document', () => {
  it('see each other: grant then revoke', async () => {
    const shared = await kirk.charm('shared-twice');
    const result = await store.execute(
      GrantThenRevokeDocument,
      { grant: { url: shared.url, principals: ['spock'], channel: 'stable', acl: 'READ' }, revoke: { url: shared.url, principals: ['spock'], channel: 'stable', acl: 'READ' } },
      { token: kirk.token },
    );
    const stableRead = (outcome: { __typename: string; entity?: { acl: Array<{ channel: string; read: string[] }> } }) =>
      outcome.entity?.acl.find((list) => list.channel === 'stable')?.read;
    expect(result.data?.granted.__typename).toBe('GrantSuccess');
    expect(stableRead(result.data!.granted)).toEqual(['kirk', 'spock']);
    expect(result.data?.revoked.__typename).toBe('RevokeSuccess');
    expect(stableRead(result.data!.revoked)).toEqual(['kirk']);
  });

  it('see each other: closeChannels twice', async () => {
    const closing = await kirk.charm('closing-twice', { revisions: 1 });
    const released = await store.execute(ReleaseDocument, { input: { url: `${closing.url}-0`, channels: ['beta', 'edge'] } }, { token: kirk.token });
    expect(released.data?.release.__typename).toBe('ReleaseSuccess');
    const result = await store.execute(
      CloseTwiceDocument,
      { first: { url: closing.url, channels: ['beta'] }, second: { url: closing.url, channels: ['edge'] } },
      { token: kirk.token },
    );
    const closed = (outcome: { entity?: { channelMap: Array<{ name: string; closed: boolean }> } }) =>
      Object.fromEntries(outcome.entity!.channelMap.filter((channel) => ['latest/beta', 'latest/edge'].includes(channel.name)).map((c) => [c.name, c.closed]));
    expect(result.data?.first.__typename).toBe('CloseChannelsSuccess');
    expect(closed(result.data!.first as never)).toEqual({ 'latest/beta': true, 'latest/edge': false });
    expect(result.data?.second.__typename).toBe('CloseChannelsSuccess');
    expect(closed(result.data!.second as never)).toEqual({ 'latest/beta': true, 'latest/edge': true });
  });
});

describe('access revoked while a write waits for the entity', () => {
  /** kirk's charm that spock may release to edge through the group "crew"; returns its url and id. */
  async function guarded(name: string, group: string) {
    const charm = await kirk.charm(name, { revisions: 1 });
    await seed(store, admin).group(group, [spock]);
    const granted = await store.execute(GrantDocument, { input: { url: charm.url, principals: [group], channel: 'edge', acl: 'WRITE' } }, { token: kirk.token });
    expect(granted.data?.grant.__typename).toBe('GrantSuccess');
    return charm;
  }

  async function waitUntil(condition: () => Promise<boolean> | boolean): Promise<void> {
    while (!(await condition())) await new Promise((resolve) => setTimeout(resolve, 20));
  }

  it('is refused when the rights went while it was queued in the process', async () => {
    const charm = await guarded('guarded-queue', 'crew-queue');
    const key = entityQueueKey('kirk', 'guarded-queue');
    let release!: Promise<unknown>;
    await inEntityQueues([key], async () => {
      release = store.execute(ReleaseDocument, { input: { url: `${charm.url}-0`, channels: ['edge'] } }, { token: spock.token });
      await waitUntil(() => writersWaiting(key) === 1);
      const removed = await store.execute(RemoveGroupMemberDocument, { input: { group: 'crew-queue', username: 'spock' } }, { token: admin });
      expect(removed.data?.removeGroupMember.__typename).toBe('RemoveGroupMemberSuccess');
    });
    const outcome = ((await release) as { data: { release: { __typename: string } } }).data.release.__typename;
    expect(['NotFoundError', 'PermissionDeniedError']).toContain(outcome);
    expect(await prisma().release.count({ where: { entityId: charm.id } })).toBe(0);
  });

  it.runIf(onPostgres)('is refused when the rights went while it waited for the row lock', async () => {
    const charm = await guarded('guarded-lock', 'crew-lock');
    let release!: Promise<unknown>;
    await prisma().$transaction(
      async (tx) => {
        const pid = (await tx.$queryRaw<Array<{ pid: number }>>`SELECT pg_backend_pid() AS pid`)[0]!.pid;
        await tx.$queryRaw`SELECT "id" FROM "Entity" WHERE "id" = ${charm.id} FOR UPDATE`;
        release = store.execute(ReleaseDocument, { input: { url: `${charm.url}-0`, channels: ['edge'] } }, { token: spock.token });
        // Another connection: is a backend blocked by this transaction?
        await waitUntil(async () => {
          const rows = await prisma().$queryRaw<Array<{ blocked: number }>>`
            SELECT count(*)::int AS blocked FROM pg_stat_activity WHERE ${pid}::int = ANY(pg_blocking_pids(pid))`;
          return rows[0]!.blocked > 0;
        });
        const removed = await store.execute(RemoveGroupMemberDocument, { input: { group: 'crew-lock', username: 'spock' } }, { token: admin });
        expect(removed.data?.removeGroupMember.__typename).toBe('RemoveGroupMemberSuccess');
      },
      { timeout: 120_000 },
    );
    const outcome = ((await release) as { data: { release: { __typename: string } } }).data.release.__typename;
    expect(['NotFoundError', 'PermissionDeniedError']).toContain(outcome);
    expect(await prisma().release.count({ where: { entityId: charm.id } })).toBe(0);
  }, scaled(180_000));
});

describe('a committed write is acknowledged', () => {
  it('even when publishing its event fails after the commit', async () => {
    const published: DomainEvent[] = [];
    const failing = await createTestStore({
      events: {
        publish(event) {
          published.push(event);
          throw new Error('the publisher is down');
        },
      },
    });
    try {
      const owner = await seed(failing, await loginAdmin(failing)).user('kirk');
      const pushed = await pushArchive(failing, owner.token, charmZip({ name: 'acknowledged' }));
      expect(pushed.data?.push.__typename).toBe('PushSuccess');
      const revision = (pushed.data!.push as { revision: { number: number } }).revision;
      expect(revision.number).toBe(0);
      const row = await failing.database.db.prisma.revision.findFirstOrThrow({ where: { entity: { name: 'acknowledged' } } });
      expect(row.number).toBe(0);

      const released = await failing.execute(ReleaseDocument, { input: { url: 'cs:~kirk/acknowledged-0', channels: ['stable', 'edge'] } }, { token: owner.token });
      expect(released.data?.release.__typename).toBe('ReleaseSuccess');
      const releases = await failing.database.db.prisma.release.findMany({ where: { entityId: row.entityId }, select: { id: true } });
      expect(releases).toHaveLength(2);

      expect(published).toEqual([
        { kind: 'revision-pushed', entityId: row.entityId, revisionId: row.id, created: true },
        { kind: 'channels-released', entityId: row.entityId, releaseIds: releases.map((entry) => entry.id).sort((a, b) => a - b) },
      ]);
    } finally {
      await failing.close();
    }
  });
});

describe('limits, checked before any lock is taken', () => {
  it('refuses more than 50 channels in one release or close, even while the entity is busy', async () => {
    const charm = await kirk.charm('many-channels', { revisions: 1 });
    const channels = range(51).map((i) => `edge/branch-${i}`);
    // The entity's queue is held: a check after the lock would wait here forever.
    await inEntityQueues([entityQueueKey('kirk', 'many-channels')], async () => {
      const released = await store.execute(ReleaseDocument, { input: { url: `${charm.url}-0`, channels } }, { token: kirk.token });
      expect(released.data?.release).toMatchObject({ __typename: 'ValidationError', field: 'channels' });
      expect((released.data?.release as { message: string }).message).toContain('at most 50 channels');
      const closed = await store.execute(CloseChannelsDocument, { input: { url: charm.url, channels } }, { token: kirk.token });
      expect(closed.data?.closeChannels).toMatchObject({ __typename: 'ValidationError', field: 'channels' });
    });
    expect(await prisma().release.count({ where: { entityId: charm.id } })).toBe(0);
    // 50 are fine.
    const released = await store.execute(ReleaseDocument, { input: { url: `${charm.url}-0`, channels: channels.slice(0, 50) } }, { token: kirk.token });
    expect(released.data?.release.__typename).toBe('ReleaseSuccess');
  });

  it('refuses a charm declaring more than 100 resources, and nothing is stored', async () => {
    const resources = Object.fromEntries(range(101).map((i) => [`res${i}`, { type: 'file' }]));
    await expectStoreUnchanged(store, async () => {
      const result = await pushArchive(store, kirk.token, charmZip({ name: 'hoarder', resources }));
      expect(result.data?.push).toMatchObject({ __typename: 'ValidationError', field: 'archive' });
      expect((result.data?.push as { message: string }).message).toContain('declares 101 resources; a charm may declare at most 100');
    });
    const fine = Object.fromEntries(range(100).map((i) => [`res${i}`, { type: 'file' }]));
    await pushOk(store, kirk.token, charmZip({ name: 'hoarder', resources: fine }));
  });

  it('refuses a metadata.yaml over 64 KiB, and nothing is stored', async () => {
    await expectStoreUnchanged(store, async () => {
      const result = await pushArchive(store, kirk.token, charmZip({ name: 'verbose', description: 'x'.repeat(65 * 1024) }));
      expect(result.data?.push).toMatchObject({ __typename: 'ValidationError', field: 'archive' });
      expect((result.data?.push as { message: string }).message).toContain(`metadata.yaml is larger than ${64 * 1024} bytes`);
    });
  });

  it('are settings, like the pool and the retries', () => {
    const defaults = loadConfig({});
    expect(defaults.archiveLimits).toMatchObject({ maxMetadataBytes: 64 * 1024, maxDeclaredResources: 100 });
    expect(defaults.maxChannelsPerChange).toBe(50);
    expect(defaults.database).toMatchObject({ poolSize: 10, connectionWaitMs: 30_000, transactionTimeoutMs: 60_000 });
    expect(defaults.writes).toEqual({ retries: 5, retryBaseDelayMs: 25, batchMax: 16 });
    const tuned = loadConfig({
      STORE_MAX_METADATA_BYTES: '1024',
      STORE_MAX_DECLARED_RESOURCES: '3',
      STORE_MAX_CHANNELS_PER_CHANGE: '7',
      STORE_DB_POOL_SIZE: '20',
      STORE_WRITE_RETRIES: '0',
      STORE_WRITE_BATCH_MAX: '1',
    });
    expect(tuned.archiveLimits).toMatchObject({ maxMetadataBytes: 1024, maxDeclaredResources: 3 });
    expect(tuned.maxChannelsPerChange).toBe(7);
    expect(tuned.database.poolSize).toBe(20);
    expect(tuned.writes.retries).toBe(0);
    expect(tuned.writes.batchMax).toBe(1);
    expect(() => loadConfig({ STORE_WRITE_BATCH_MAX: '65' })).toThrow(/STORE_WRITE_BATCH_MAX/);
    expect(() => loadConfig({ STORE_MAX_CHANNELS_PER_CHANGE: '0' })).toThrow(/STORE_MAX_CHANNELS_PER_CHANGE/);
  });

  it('prepare recurring statements unless a transaction pooler may be in front (STORE_DATABASE_DIRECT_URL set)', () => {
    const direct = 'postgresql://store@db.example:5432/store';
    expect(loadConfig({}).database.preparedStatements).toBe(true);
    expect(loadConfig({ STORE_DATABASE_DIRECT_URL: direct }).database.preparedStatements).toBe(false);
    expect(loadConfig({ STORE_DATABASE_DIRECT_URL: direct, STORE_DB_PREPARED_STATEMENTS: 'true' }).database.preparedStatements).toBe(true);
    expect(loadConfig({ STORE_DB_PREPARED_STATEMENTS: 'false' }).database.preparedStatements).toBe(false);
    expect(() => loadConfig({ STORE_DB_PREPARED_STATEMENTS: 'yes' })).toThrow(/STORE_DB_PREPARED_STATEMENTS/);
  });
});
