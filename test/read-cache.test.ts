import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgresDatabase } from '../src/db/database.js';
import {
  AddGroupMemberDocument,
  ChannelMapDocument,
  CloseChannelsDocument,
  CreateTokenDocument,
  EntitiesDocument,
  GrantDocument,
  ReleaseDocument,
  RemoveGroupMemberDocument,
  SetPrivateDocument,
  ViewerTokensDocument,
} from './generated/graphql.js';
import { loginAdmin } from './support/accounts.js';
import { testDatabaseKind } from './support/database.js';
import { seed, type SeededUser } from './support/seed.js';
import { BRANCH_TTL_SECONDS, createTestStore, type TestStore } from './support/store.js';

/**
 * The whole-answer cache (src/http/read-cache.ts) through the API: a repeated
 * read is served without executing (only the version statement, plus the
 * token for a signed-in caller), and every kind of change is visible on the
 * very next read, whoever made it and through whichever store.
 */
let store: TestStore;
let admin: string;
let kirk: SeededUser;
let james: SeededUser;

beforeAll(async () => {
  store = await createTestStore({ readCache: true });
  admin = await loginAdmin(store);
  const fixtures = seed(store, admin);
  kirk = await fixtures.user('kirk');
  james = await fixtures.user('james');
  await fixtures.group('crew', []);
  await (await kirk.charm('open', { revisions: 3, private: false })).release(0, ['stable', 'edge']);
  await (await kirk.charm('secret', { revisions: 1, private: true })).release(0, ['stable']);
});
afterAll(() => store.close());

async function statementsOf<R>(operation: () => Promise<R>, on: TestStore): Promise<{ result: R; statements: number; sql: string[] }> {
  const sql: string[] = [];
  const stop = on.database.db.onStatement((statement) => sql.push(statement));
  try {
    const result = await operation();
    return { result, statements: sql.length, sql };
  } finally {
    stop();
  }
}

const channelMap = (url: string, token?: string, on: TestStore = store) => on.execute(ChannelMapDocument, { url }, { token });
const pointers = (answer: Awaited<ReturnType<typeof channelMap>>) =>
  Object.fromEntries((answer.data?.entity?.channelMap ?? []).map((channel) => [channel.name, [channel.revision?.number ?? null, channel.closed]]));
const listed = async (token?: string) => (await store.execute(EntitiesDocument, { first: 50 }, { token })).data!.entities.edges.map((edge) => edge.node.url);

async function expectKept(read: () => Promise<unknown>, signedIn: boolean, on: TestStore = store) {
  const first = await statementsOf(read, on);
  const again = await statementsOf(read, on);
  expect(again.result).toEqual(first.result);
  // Only the version, which a signed-in caller's token statement reads along: nothing executed.
  expect(again.sql).toEqual([expect.stringContaining(signedIn ? 'FROM "Token"' : 'FROM "ReadVersion"')]);
  if (signedIn) expect(again.sql[0]).toContain('FROM "ReadVersion"');
}

describe('the whole-answer cache', () => {
  it('serves a kept answer as the same bytes, compressed as each request asks, and a changed answer compressed afresh', async () => {
    // Over 1 kB, so that it is compressed: the type names, and a channel map that a release changes.
    const query = '{ __schema { types { name } } entity(url: "cs:~kirk/open") { channelMap { name revision { number } } } }';
    const read = async (encoding: string) => {
      const response = await store.request('/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'accept-encoding': encoding },
        body: JSON.stringify({ query }),
      });
      expect(response.status).toBe(200);
      const bytes = Buffer.from(await response.arrayBuffer());
      const coding = response.headers.get('content-encoding');
      const text = (coding === 'br' ? zlib.brotliDecompressSync(bytes) : coding === 'gzip' ? zlib.gunzipSync(bytes) : bytes).toString();
      return { coding, text };
    };
    const plain = await read('identity');
    expect(plain.coding).toBeNull();
    expect(plain.text.length).toBeGreaterThan(1024);
    for (const encoding of ['br', 'gzip', 'br', 'gzip', 'identity']) {
      const kept = await statementsOf(() => read(encoding), store);
      expect(kept.statements).toBe(1);
      expect(kept.result).toEqual({ coding: encoding === 'identity' ? null : encoding, text: plain.text });
    }
    const released = await store.execute(ReleaseDocument, { input: { url: 'cs:~kirk/open', revision: 1, channels: ['edge'] } }, { token: kirk.token });
    expect(released.data?.release.__typename).toBe('ReleaseSuccess');
    const changed = await read('br');
    expect(changed.text).not.toEqual(plain.text);
    expect(changed.text).toEqual((await read('identity')).text);
    expect((await read('br')).text).toEqual(changed.text);
  });

  it('serves a repeated read without executing it, and shows a release or a close on the very next read', async () => {
    await expectKept(() => channelMap('cs:~kirk/open'), false);
    await expectKept(() => channelMap('cs:~kirk/open', james.token), true);
    const released = await store.execute(ReleaseDocument, { input: { url: 'cs:~kirk/open', revision: 2, channels: ['stable'] } }, { token: kirk.token });
    expect(released.data?.release.__typename).toBe('ReleaseSuccess');
    expect(pointers(await channelMap('cs:~kirk/open'))['latest/stable']).toEqual([2, false]);
    expect(pointers(await channelMap('cs:~kirk/open', james.token))['latest/stable']).toEqual([2, false]);

    await expectKept(() => channelMap('cs:~kirk/open'), false);
    const closed = await store.execute(CloseChannelsDocument, { input: { url: 'cs:~kirk/open', channels: ['edge'] } }, { token: kirk.token });
    expect(closed.data?.closeChannels.__typename).toBe('CloseChannelsSuccess');
    expect(pointers(await channelMap('cs:~kirk/open'))['latest/edge']).toEqual([null, true]);
  });

  it('keeps a private entity invisible to others, and shows privacy and ACL changes on the very next read', async () => {
    await expectKept(() => listed(kirk.token), true);
    await expectKept(() => listed(james.token), true);
    await expectKept(() => listed(), false);
    expect(await listed(kirk.token)).toContain('cs:~kirk/secret');
    expect(await listed(james.token)).not.toContain('cs:~kirk/secret');
    expect(await listed()).not.toContain('cs:~kirk/secret');
    expect((await channelMap('cs:~kirk/secret', james.token)).data?.entity).toBeNull();

    const granted = await store.execute(GrantDocument, { input: { url: 'cs:~kirk/secret', principals: ['james'] } }, { token: kirk.token });
    expect(granted.data?.grant.__typename).toBe('GrantSuccess');
    expect(await listed(james.token)).toContain('cs:~kirk/secret');
    expect(await listed()).not.toContain('cs:~kirk/secret');

    const published = await store.execute(SetPrivateDocument, { input: { url: 'cs:~kirk/secret', private: false } }, { token: kirk.token });
    expect(published.data?.setPrivate.__typename).toBe('SetPrivateSuccess');
    expect(await listed()).toContain('cs:~kirk/secret');
    const hidden = await store.execute(SetPrivateDocument, { input: { url: 'cs:~kirk/secret', private: true } }, { token: kirk.token });
    expect(hidden.data?.setPrivate.__typename).toBe('SetPrivateSuccess');
    expect(await listed()).not.toContain('cs:~kirk/secret');
  });

  it('shows a group membership change on the very next read of the member', async () => {
    const charm = await kirk.charm('crew-only', { revisions: 1, private: true });
    await charm.release(0, ['stable']);
    const granted = await store.execute(GrantDocument, { input: { url: charm.url, principals: ['crew'] } }, { token: kirk.token });
    expect(granted.data?.grant.__typename).toBe('GrantSuccess');
    await expectKept(() => channelMap(charm.url, james.token), true);
    expect((await channelMap(charm.url, james.token)).data?.entity).toBeNull();

    const added = await store.execute(AddGroupMemberDocument, { input: { group: 'crew', username: 'james' } }, { token: admin });
    expect(added.data?.addGroupMember.__typename).toBe('AddGroupMemberSuccess');
    expect(pointers(await channelMap(charm.url, james.token))['latest/stable']).toEqual([0, false]);

    const removed = await store.execute(RemoveGroupMemberDocument, { input: { group: 'crew', username: 'james' } }, { token: admin });
    expect(removed.data?.removeGroupMember.__typename).toBe('RemoveGroupMemberSuccess');
    expect((await channelMap(charm.url, james.token)).data?.entity).toBeNull();
  });

  it('sees a write made straight in SQL, as by another process or an operator', async () => {
    await expectKept(() => channelMap('cs:~kirk/open'), false);
    await store.database.db.prisma.$executeRaw`UPDATE "Entity" SET "private" = true WHERE "name" = 'open'`;
    expect((await channelMap('cs:~kirk/open')).data?.entity).toBeNull();
    await store.database.db.prisma.$executeRaw`UPDATE "Entity" SET "private" = false WHERE "name" = 'open'`;
    expect((await channelMap('cs:~kirk/open')).data?.entity).not.toBeNull();
  });

  it('never keeps an answer listing tokens (their use time changes without a write it can see)', async () => {
    const before = await store.execute(ViewerTokensDocument, {}, { token: james.token });
    const created = await store.execute(CreateTokenDocument, { input: { description: 'ci' } }, { token: james.token });
    expect(created.data?.createToken.__typename).toBe('CreateTokenSuccess');
    const after = await store.execute(ViewerTokensDocument, {}, { token: james.token });
    expect(after.data!.viewer!.tokens.edges.length).toBe(before.data!.viewer!.tokens.edges.length + 1);
  });

  it.skipIf(testDatabaseKind() !== 'postgres')('shows a release made through a second store on the same PostgreSQL on the very next read', async () => {
    const url = store.database.url!;
    const db = await openPostgresDatabase(url, undefined, { alreadyMigrated: true });
    const second = await createTestStore({ readCache: true, database: { db, url, drop: () => db.close() } });
    try {
      await expectKept(() => channelMap('cs:~kirk/open', undefined, second), false, second);
      expect(pointers(await channelMap('cs:~kirk/open', undefined, second))['latest/stable']).toEqual([2, false]);
      const released = await store.execute(ReleaseDocument, { input: { url: 'cs:~kirk/open', revision: 0, channels: ['stable'] } }, { token: kirk.token });
      expect(released.data?.release.__typename).toBe('ReleaseSuccess');
      expect(pointers(await channelMap('cs:~kirk/open', undefined, second))['latest/stable']).toEqual([0, false]);
    } finally {
      await second.close();
    }
  });

  it('does not serve a kept answer past the moment a branch in it expires', async () => {
    const charm = await kirk.charm('branchy', { revisions: 2, private: false });
    await charm.release(1, ['stable/hotfix']);
    await expectKept(() => channelMap(charm.url), false);
    expect(pointers(await channelMap(charm.url))['latest/stable/hotfix']).toEqual([1, false]);
    // No write: only the clock moves (last in this file: the tokens expire with it). An expired branch leaves the map.
    store.clock.advance(BRANCH_TTL_SECONDS * 1000 + 1000);
    const after = await channelMap(charm.url);
    expect(after.data?.entity?.channelMap.map((channel) => channel.name)).not.toContain('latest/stable/hotfix');
  });
});
