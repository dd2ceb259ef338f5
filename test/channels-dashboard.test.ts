import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DashboardDocument,
  DashboardFullDocument,
  EntitiesDocument,
  EntityChannelMapDocument,
  ReleaseDocument,
  ResolveDocument,
} from './generated/graphql.js';
import { loginAdmin } from './support/accounts.js';
import { seed, type SeededUser } from './support/seed.js';
import { withStatements } from './support/statements.js';
import { createTestStore, type TestStore } from './support/store.js';

const ENTITIES = 100;

let store: TestStore;
let kirk: SeededUser;
let james: SeededUser;

beforeAll(async () => {
  store = await createTestStore();
  const fixtures = seed(store, await loginAdmin(store));
  kirk = await fixtures.user('kirk');
  james = await fixtures.user('james');
  // 100 charms, each with stable, edge and a branch released, every third with a second track.
  // Written straight into the database (seed.ts): through the API this took minutes on a loaded machine.
  for (let i = 0; i < ENTITIES; i++) {
    const secondTrack = i % 3 === 0;
    const charm = await kirk.charm(`dash-${String.fromCharCode(97 + Math.floor(i / 26))}${String.fromCharCode(97 + (i % 26))}`, {
      revisions: 3,
      private: i % 2 === 0,
      tracks: secondTrack ? ['2.0'] : [],
      // Every fifth declares a resource, so that its releases pin resource revisions.
      ...(i % 5 === 0 ? { resources: { data: 'file' as const } } : {}),
    });
    const stable = ['stable', 'edge/fix', ...(secondTrack ? ['2.0/beta'] : [])];
    if (i % 5 !== 0) {
      await charm.release(1, stable);
      await charm.release(2, ['edge']);
      continue;
    }
    // The seed's shortcut pins no resources: these releases go through the API.
    await charm.pushResource('data', 2);
    for (const [revision, names] of [[1, stable], [2, ['edge']]] as const) {
      const result = await store.execute(ReleaseDocument, { input: { url: charm.url, revision, channels: [...names] } }, { token: kirk.token });
      if (result.data?.release.__typename !== 'ReleaseSuccess') throw new Error(JSON.stringify(result));
    }
  }
});
afterAll(() => store.close());

async function countStatements(first: number, token: string | undefined) {
  const { result, statements } = await withStatements(store, () => store.execute(DashboardDocument, { first }, { token }));
  expect(result.errors).toBeUndefined();
  return { statements, edges: result.data!.entities.edges };
}

async function countFullPage(first: number, token: string | undefined) {
  const { result, statements } = await withStatements(store, () => store.execute(DashboardFullDocument, { first }, { token }));
  expect(result.errors).toBeUndefined();
  return { statements, edges: result.data!.entities.edges };
}

/** No statement may ask for rows matching nothing, such as the groups of a user in none. */
function expectNoEmptyLookups(statements: string[]) {
  expect(statements.filter((sql) => /IN \(NULL\)/i.test(sql))).toEqual([]);
}

describe('a dashboard page of entities with their channel maps', () => {
  it.each([
    ['the owner', () => kirk.token, 100],
    ['another user (who sees only the public half)', () => james.token, 50],
  ])('costs as many SQL statements for 5 entities as for 100, for %s', async (_who, token, visible) => {
    // The first request of a token in a while also records its use; keep that out of the counts.
    await countStatements(1, token());
    const small = await countStatements(5, token());
    const large = await countStatements(100, token());
    expect(small.edges).toHaveLength(5);
    expect(large.edges).toHaveLength(visible);
    // Every entity came back with its whole channel map.
    // dash-ad (the fourth) is public and has the second track.
    const node = large.edges.find((edge) => edge.node.url === 'cs:~kirk/dash-ad')!.node;
    expect(node.channelMap.map((c) => c.name)).toEqual([
      'latest/stable',
      'latest/candidate',
      'latest/beta',
      'latest/edge',
      'latest/edge/fix',
      '2.0/stable',
      '2.0/candidate',
      '2.0/beta',
      '2.0/edge',
    ]);
    expect(node.channelMap.map((c) => [c.revision?.number ?? null, c.effectiveRevision?.number ?? null, c.follows ?? null])).toEqual([
      [1, 1, null],
      [null, 1, 'latest/stable'],
      [null, 1, 'latest/stable'],
      [2, 2, null],
      [1, 1, null],
      [null, null, null],
      [null, null, null],
      [1, 1, null],
      [null, 1, '2.0/beta'],
    ]);
    expect(node.channelMap[0]!.revision).toMatchObject({ url: `${node.url}-1`, createdBy: 'kirk', channels: ['latest/stable', 'latest/edge/fix', '2.0/beta'] });
    expect(small.statements.length).toBe(large.statements.length);
    // A handful of statements, not one per entity.
    expect(large.statements.length).toBeLessThanOrEqual(25);
  });
});

describe('the statement budget of reads', () => {
  it.each([
    ['the owner', () => kirk.token, 100],
    ['another user (who sees only the public half)', () => james.token, 50],
    ['an anonymous caller', () => undefined, 50],
  ])('answers a full dashboard page with histories in at most 8 statements, as many for 5 entities as for 100, for %s', async (_who, token, visible) => {
    await countFullPage(1, token());
    const small = await countFullPage(5, token());
    const large = await countFullPage(100, token());
    expect(small.edges).toHaveLength(5);
    expect(large.edges).toHaveLength(visible);
    expectNoEmptyLookups(large.statements);
    expect(large.statements.length).toBe(small.statements.length);
    expect(large.statements.length).toBeLessThanOrEqual(8);

    // Histories are paged per channel: newest first, three at most, the rest behind hasNextPage.
    const node = large.edges.find((edge) => edge.node.url === 'cs:~kirk/dash-af')!.node;
    expect(node.latestRevision).toEqual({ number: 2, url: 'cs:~kirk/dash-af-2' });
    const stable = node.channelMap.find((channel) => channel.name === 'latest/stable')!;
    expect(stable.history.edges.map((edge) => edge.node.revision?.number)).toEqual([1]);
    expect(stable.history.pageInfo.hasNextPage).toBe(false);
    expect(stable.history.edges[0]!.node).toMatchObject({ action: 'RELEASE', channel: 'latest/stable', releasedBy: 'kirk' });
    expect(node.channelMap.find((channel) => channel.name === 'latest/candidate')!.history.edges).toEqual([]);
    // dash-aa declares a resource: its releases pin the newest resource revision.
    const withResource = large.edges.find((edge) => edge.node.url === 'cs:~kirk/dash-aa');
    if (withResource) {
      expect(withResource.node.resources).toEqual([{ name: 'data', type: 'file' }]);
      const edge = withResource.node.channelMap.find((channel) => channel.name === 'latest/edge')!;
      expect(edge.history.edges[0]!.node.resources).toEqual([{ name: 'data', revision: 1 }]);
    }
  });

  it('pages a channel history with more entries than asked for, per channel', async () => {
    const url = 'cs:~kirk/dash-ab';
    for (const revision of [0, 2, 1, 2]) {
      const result = await store.execute(ReleaseDocument, { input: { url, revision, channels: ['beta'] } }, { token: kirk.token });
      expect(result.data?.release.__typename).toBe('ReleaseSuccess');
    }
    const page = await countFullPage(100, kirk.token);
    const node = page.edges.find((edge) => edge.node.url === url)!.node;
    const beta = node.channelMap.find((channel) => channel.name === 'latest/beta')!;
    expect(beta.history.edges.map((edge) => edge.node.revision?.number)).toEqual([2, 1, 2]);
    expect(beta.history.pageInfo.hasNextPage).toBe(true);
    const stable = node.channelMap.find((channel) => channel.name === 'latest/stable')!;
    expect(stable.history.edges.map((edge) => edge.node.revision?.number)).toEqual([1]);
    expect(stable.history.pageInfo.hasNextPage).toBe(false);
  });

  it('resolves a channel in at most 3 statements', async () => {
    await withStatements(store, () => store.execute(ResolveDocument, { url: 'cs:~kirk/dash-aa', channel: 'edge' }, { token: kirk.token }));
    for (const token of [kirk.token, undefined]) {
      const { result, statements } = await withStatements(store, () =>
        store.execute(ResolveDocument, { url: 'cs:~kirk/dash-ab', channel: 'candidate' }, { token }),
      );
      expect(result.data?.resolve).toMatchObject({ __typename: 'Resolution', channel: 'latest/stable', revision: { number: 1 } });
      expectNoEmptyLookups(statements);
      // Signed in too: the token (with its user and groups), the entity with its channels, the resolution's parts.
      expect(statements.length).toBeLessThanOrEqual(3);
    }
  });

  it('answers an entity with its channel map in at most 4 statements', async () => {
    for (const token of [kirk.token, undefined]) {
      const { result, statements } = await withStatements(store, () => store.execute(EntityChannelMapDocument, { url: 'cs:~kirk/dash-ab' }, { token }));
      expect(result.data?.entity?.channelMap.length).toBeGreaterThan(0);
      expectNoEmptyLookups(statements);
      // The token (with its user and groups) when signed in, the entity with its channels, the Pothos selection, the revisions.
      expect(statements.length).toBeLessThanOrEqual(4);
    }
  });

  it('authenticates a request with one statement: the token, its user and their groups', async () => {
    const anonymous = await withStatements(store, () => store.execute(EntitiesDocument, { first: 5 }, {}));
    const signedIn = await withStatements(store, () => store.execute(EntitiesDocument, { first: 5 }, { token: james.token }));
    expect(signedIn.result.data?.entities.edges.length).toBe(5);
    expectNoEmptyLookups(signedIn.statements);
    expect(signedIn.statements.length - anonymous.statements.length).toBe(1);
  });
});
