import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReleaseDocument, SetPrivateDocument } from '../generated/graphql.js';
import { createUserAndLogin, loginAdmin } from '../support/accounts.js';
import { pushOk } from '../support/push.js';
import { seed } from '../support/seed.js';
import { registerEntity } from '../support/sharing.js';
import { createTestStore, type TestStore } from '../support/store.js';
import { charmZip } from '../support/zip.js';
import { idCursor, rawGraphQL, type RawAnswer } from './raw.js';

// Issue 9, item 3: a cursor made from a private entity's id used to page
// from where that entity's name sorts, which let a user with many entities
// of her own learn a private name letter by letter.
let store: TestStore;
let alice: string;
let bob: string;
const aliceNames = ['x', 'y'].flatMap((second) => 'abcdefghijklmnopqrstuvwxyz'.split('').map((third) => `m${second}${third}`));

beforeAll(async () => {
  store = await createTestStore();
  const admin = await loginAdmin(store);
  const seededAlice = await seed(store, admin).user('alice');
  alice = seededAlice.token;
  bob = await createUserAndLogin(store, admin, 'bob');
  await registerEntity(store, bob, 'mystery');
  // Private, as registered ones are; written straight into the database: the test is about cursors, not registering.
  for (const name of aliceNames) await seededAlice.charm(name);
});
afterAll(() => store.close());

const PAGE = 'query($after: String, $before: String, $first: Int) { entities(first: $first, after: $after, before: $before) { edges { cursor node { name } } } }';
const PAGE_BACK = 'query($before: String) { entities(last: 3, before: $before) { edges { node { name } } } }';

function entityId(name: string): Promise<number> {
  return store.database.db.prisma.entity.findFirstOrThrow({ where: { name }, select: { id: true } }).then((row) => row.id);
}

/** The answer with the cursor text taken out, so answers for different cursors compare. */
function withoutCursor(answer: RawAnswer, cursor: string): string {
  return answer.text.split(JSON.stringify(cursor).slice(1, -1)).join('<cursor>');
}

describe('entities(after:/before:)', () => {
  it('refuses a private entity\'s cursor exactly like a missing or malformed one', async () => {
    const privateCursor = idCursor(await entityId('mystery'));
    const missingCursor = idCursor(2_000_000);
    const after = await rawGraphQL(store, PAGE, { after: privateCursor }, alice);
    expect(after.body).toEqual({
      data: null,
      errors: [{ message: `Invalid cursor: ${privateCursor}`, locations: [{ line: 1, column: 55 }], path: ['entities'], extensions: { code: 'BAD_USER_INPUT' } }],
    });
    for (const cursor of [missingCursor, 'bm90IG91cnM=', idCursor('abc')]) {
      expect(withoutCursor(await rawGraphQL(store, PAGE, { after: cursor }, alice), cursor)).toBe(withoutCursor(after, privateCursor));
    }
    const before = await rawGraphQL(store, PAGE_BACK, { before: privateCursor }, alice);
    expect(before.body?.errors?.[0]?.message).toBe(`Invalid cursor: ${privateCursor}`);
    expect(withoutCursor(await rawGraphQL(store, PAGE_BACK, { before: missingCursor }, alice), missingCursor)).toBe(withoutCursor(before, privateCursor));
  });

  it('tell a user with 52 entities nothing about the ids she cannot see', async () => {
    const visible = new Set(await Promise.all(aliceNames.map(entityId)));
    const { _max } = await store.database.db.prisma.entity.aggregate({ _max: { id: true } });
    const reference = withoutCursor(await rawGraphQL(store, PAGE, { after: idCursor(2_000_000) }, alice), idCursor(2_000_000));
    let refused = 0;
    for (let id = 1; id <= _max.id! + 3; id += 1) {
      const cursor = idCursor(id);
      const answer = await rawGraphQL(store, PAGE, { after: cursor, first: 1 }, alice);
      if (visible.has(id)) {
        expect(answer.body?.errors).toBeUndefined();
      } else {
        refused += 1;
        expect(withoutCursor(answer, cursor)).toBe(reference);
      }
    }
    expect(refused).toBeGreaterThanOrEqual(4);
  });

  it('page on with a cursor of an entity the caller sees', async () => {
    const first = await rawGraphQL(store, PAGE, { first: 30 }, alice);
    const firstEdges = (first.body?.data as { entities: { edges: Array<{ cursor: string; node: { name: string } }> } }).entities.edges;
    const next = await rawGraphQL(store, PAGE, { first: 30, after: firstEdges.at(-1)!.cursor }, alice);
    const nextEdges = (next.body?.data as { entities: { edges: Array<{ node: { name: string } }> } }).entities.edges;
    expect([...firstEdges, ...nextEdges].map((edge) => edge.node.name)).toEqual(aliceNames);
  });
});

describe('other connections', () => {
  it('refuse a revision cursor the caller cannot see (an unpublished revision of a public charm)', async () => {
    for (const note of ['A', 'B']) await pushOk(store, alice, charmZip({ name: 'paged', revisionNote: note }));
    await store.execute(ReleaseDocument, { input: { url: 'cs:~alice/paged-0', channels: ['stable'] } }, { token: alice });
    await store.execute(SetPrivateDocument, { input: { url: 'cs:~alice/paged', private: false } }, { token: alice });
    const query = 'query($after: String) { entity(url: "cs:~alice/paged") { revisions(first: 1, after: $after) { edges { cursor node { number } } } } }';
    type Revisions = { entity: { revisions: { edges: Array<{ cursor: string; node: { number: number } }> } } };
    const owners = (await rawGraphQL(store, query, {}, alice)).body?.data as Revisions;
    const unpublishedCursor = owners.entity.revisions.edges[0]!.cursor;
    expect(owners.entity.revisions.edges[0]!.node.number).toBe(1);
    const own = await rawGraphQL(store, query, { after: unpublishedCursor }, alice);
    expect((own.body?.data as Revisions).entity.revisions.edges.map((edge) => edge.node.number)).toEqual([0]);
    const probe = await rawGraphQL(store, query, { after: unpublishedCursor }, bob);
    expect(probe.body?.errors?.[0]).toMatchObject({ message: `Invalid cursor: ${unpublishedCursor}`, extensions: { code: 'BAD_USER_INPUT' } });
  });

  it('refuse another user\'s token cursor', async () => {
    const query = 'query($after: String) { viewer { tokens(first: 1, after: $after) { edges { cursor } } } }';
    const alices = (await rawGraphQL(store, query, {}, alice)).body?.data as { viewer: { tokens: { edges: Array<{ cursor: string }> } } };
    const cursor = alices.viewer.tokens.edges[0]!.cursor;
    expect((await rawGraphQL(store, query, { after: cursor }, alice)).body?.errors).toBeUndefined();
    expect((await rawGraphQL(store, query, { after: cursor }, bob)).body?.errors?.[0]?.message).toBe(`Invalid cursor: ${cursor}`);
  });
});
