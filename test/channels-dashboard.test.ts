import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DashboardDocument } from './generated/graphql.js';
import { loginAdmin } from './support/accounts.js';
import { seed, type SeededUser } from './support/seed.js';
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
    });
    await charm.release(1, ['stable', 'edge/fix', ...(secondTrack ? ['2.0/beta'] : [])]);
    await charm.release(2, ['edge']);
  }
});
afterAll(() => store.close());

async function countStatements(first: number, token: string | undefined) {
  const statements: string[] = [];
  const stop = store.database.db.onStatement((sql) => statements.push(sql));
  try {
    const result = await store.execute(DashboardDocument, { first }, { token });
    expect(result.errors).toBeUndefined();
    return { statements, edges: result.data!.entities.edges };
  } finally {
    stop();
  }
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
