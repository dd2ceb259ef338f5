import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChannelDocument, CloseChannelsDocument, ReleaseDocument } from './generated/graphql.js';
import { loginAdmin } from './support/accounts.js';
import { testDatabaseKind } from './support/database.js';
import { type ServerProcess, startServer } from './support/process.js';
import { seed, type SeededEntity, type SeededUser } from './support/seed.js';
import { createTestStore, type TestStore } from './support/store.js';

const N = 30;

let store: TestStore;
let kirk: SeededUser;
/** On PostgreSQL, a second server process on the same schema takes every other request. */
let second: ServerProcess | undefined;

beforeAll(async () => {
  // A real clock: the second process has one too, and must accept the same tokens.
  store = await createTestStore({ realClock: true });
  kirk = await seed(store, await loginAdmin(store)).user('kirk');
  if (testDatabaseKind() === 'postgres') {
    second = await startServer({ DATABASE_URL: store.database.url!, STORE_DATA_DIR: '/nonexistent-unused' });
  }
});
afterAll(async () => {
  await second?.stop();
  await store.close();
});

/** Sends request `index` in-process, or to the second process for odd indexes when there is one. */
async function send<R, V extends Record<string, unknown>>(index: number, document: TypedDocumentNode<R, V>, variables: V): Promise<R> {
  if (second && index % 2 === 1) {
    const response = await fetch(`${second.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${kirk.token}` },
      body: JSON.stringify({ query: print(document), variables }),
    });
    const body = (await response.json()) as { data: R };
    return body.data;
  }
  const result = await store.execute(document, variables, { token: kirk.token });
  return result.data!;
}

/** Every channel's pointer equals its newest history entry; returns the history lengths by channel. */
async function checkInvariant(entity: SeededEntity): Promise<Record<string, number>> {
  const channels = await store.database.db.prisma.channel.findMany({
    where: { entityId: entity.id },
    include: { history: { orderBy: { id: 'desc' } } },
  });
  const lengths: Record<string, number> = {};
  for (const channel of channels) {
    const newest = channel.history[0]!;
    if (newest.action === 'RELEASE') {
      expect({ revisionId: channel.revisionId, closed: channel.closed }).toEqual({ revisionId: newest.revisionId, closed: false });
    } else {
      expect({ revisionId: channel.revisionId, closed: channel.closed }).toEqual({ revisionId: null, closed: true });
    }
    lengths[`${channel.track}/${channel.risk.toLowerCase()}`] = channel.history.length;
  }
  return lengths;
}

describe(`concurrent releases and closes (${testDatabaseKind()}${testDatabaseKind() === 'postgres' ? ', two server processes' : ''})`, () => {
  it(`keeps all ${N} history entries of one channel, the pointer equal to the newest`, async () => {
    const busy = await kirk.charm('busy', { revisions: N });
    const results = await Promise.all(
      Array.from({ length: N }, (_, i) =>
        i % 5 === 4
          ? send(i, CloseChannelsDocument, { input: { url: busy.url, channels: ['edge'] } }).then((r) => r.closeChannels.__typename)
          : send(i, ReleaseDocument, { input: { url: `${busy.url}-${i}`, channels: ['edge'] } }).then((r) => r.release.__typename),
      ),
    );
    expect(results.filter((t) => t === 'ReleaseSuccess')).toHaveLength(N - N / 5);
    expect(results.filter((t) => t === 'CloseChannelsSuccess')).toHaveLength(N / 5);
    expect(await checkInvariant(busy)).toEqual({ 'latest/edge': N });

    // The API shows the same: a full history, and a pointer matching its newest entry.
    const channel = (await store.execute(ChannelDocument, { url: busy.url, name: 'edge', first: 100 }, { token: kirk.token })).data?.entity?.channel;
    expect(channel?.history.edges).toHaveLength(N);
    const newest = channel!.history.edges[0]!.node;
    expect(channel?.revision?.number ?? null).toBe(newest.action === 'RELEASE' ? newest.revision!.number : null);
    expect(channel?.closed).toBe(newest.action === 'CLOSE');
  });

  it('applies multi-channel releases named in any order one after the other, without deadlocks', async () => {
    const multi = await kirk.charm('multi', { revisions: N });
    const orders = [['edge', 'beta'], ['beta', 'candidate', 'edge'], ['candidate', 'edge']];
    const results = await Promise.all(
      Array.from({ length: N }, (_, i) =>
        send(i, ReleaseDocument, { input: { url: `${multi.url}-${i}`, channels: orders[i % 3]! } }).then((r) => r.release.__typename),
      ),
    );
    expect(results).toEqual(Array(N).fill('ReleaseSuccess'));
    expect(await checkInvariant(multi)).toEqual({ 'latest/edge': N, 'latest/beta': (2 * N) / 3, 'latest/candidate': (2 * N) / 3 });
  });
});
