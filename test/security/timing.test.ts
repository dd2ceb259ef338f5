import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MatrixEntityDocument, ReleaseDocument, ResolveDocument, SecurityNodeDocument, SecurityRevisionDocument } from '../generated/graphql.js';
import { createUserAndLogin, loginAdmin } from '../support/accounts.js';
import { pushOk } from '../support/push.js';
import { registerEntity } from '../support/sharing.js';
import { createTestStore, type TestStore } from '../support/store.js';
import { charmZip } from '../support/zip.js';

/**
 * Issue 9, item 4: a signed-in caller could tell a private entity from a
 * missing one by the time an answer took (entity(url) 72 vs 53 ms, release
 * 78 vs 62 ms), because only an existing entity went on to load the caller
 * and check access. The fix is by construction: a private entity and a
 * missing one now run the same SQL statements (the caller is loaded first,
 * the visibility rule is part of the lookup's SQL, and a missing node does
 * the same access lookup as a hidden one). So this test compares the
 * statements rather than timing them, which also makes it immune to a busy
 * machine: the statement texts for the private entity must equal those for
 * the missing one, for every operation that names an entity.
 */
let store: TestStore;
let stranger: string;
let hiddenEntityId: string;
let hiddenRevisionId: string;
let hiddenDownload: string;

function withNumber(globalId: string, number: number): string {
  const [typename] = Buffer.from(globalId, 'base64').toString('utf8').split(':');
  return Buffer.from(`${typename}:${number}`).toString('base64');
}

const PROBES: Record<string, (hidden: boolean) => Promise<unknown>> = {
  'entity(url)': async (hidden) => (await store.execute(MatrixEntityDocument, { url: hidden ? 'cs:~kirk/hidden' : 'cs:~kirk/absent' }, { token: stranger })).data,
  'entity(top-level name)': async (hidden) => (await store.execute(MatrixEntityDocument, { url: hidden ? 'hidden' : 'absent' }, { token: stranger })).data,
  'revision(url)': async (hidden) => (await store.execute(SecurityRevisionDocument, { url: hidden ? 'cs:~kirk/hidden-0' : 'cs:~kirk/absent-0' }, { token: stranger })).data,
  resolve: async (hidden) => (await store.execute(ResolveDocument, { url: hidden ? 'cs:~kirk/hidden' : 'cs:~kirk/absent', channel: 'stable' }, { token: stranger })).data,
  release: async (hidden) =>
    (await store.execute(ReleaseDocument, { input: { url: hidden ? 'cs:~kirk/hidden' : 'cs:~kirk/absent', revision: 0, channels: ['edge'] } }, { token: stranger })).data,
  'node(Entity id)': async (hidden) => (await store.execute(SecurityNodeDocument, { id: hidden ? hiddenEntityId : withNumber(hiddenEntityId, 999_999) }, { token: stranger })).data,
  'node(Revision id)': async (hidden) => (await store.execute(SecurityNodeDocument, { id: hidden ? hiddenRevisionId : withNumber(hiddenRevisionId, 999_999) }, { token: stranger })).data,
  download: async (hidden) => (await store.request(hidden ? hiddenDownload : hiddenDownload.replace('hidden', 'absent'), { token: stranger })).status,
};

async function statementsOf(probe: () => Promise<unknown>): Promise<{ statements: string[]; answer: string }> {
  const statements: string[] = [];
  const stop = store.database.db.onStatement((sql) => statements.push(sql));
  try {
    const answer = JSON.stringify(await probe());
    return { statements, answer };
  } finally {
    stop();
  }
}

beforeAll(async () => {
  store = await createTestStore();
  const admin = await loginAdmin(store);
  const kirk = await createUserAndLogin(store, admin, 'kirk');
  stranger = await createUserAndLogin(store, admin, 'stranger');
  hiddenEntityId = (await registerEntity(store, kirk, 'hidden')).id;
  await pushOk(store, kirk, charmZip({ name: 'hidden' }), 'cs:~kirk/hidden');
  const released = await store.execute(ReleaseDocument, { input: { url: 'cs:~kirk/hidden', revision: 0, channels: ['stable'] } }, { token: kirk });
  expect(released.data?.release.__typename).toBe('ReleaseSuccess');
  const revision = (await store.execute(SecurityRevisionDocument, { url: 'cs:~kirk/hidden-0' }, { token: kirk })).data!.revision!;
  hiddenRevisionId = revision.id;
  hiddenDownload = revision.downloadUrl;
  // The first request of a token in a while also records its use: keep that out of the comparison.
  await store.execute(MatrixEntityDocument, { url: 'cs:~kirk/absent' }, { token: stranger });
});
afterAll(() => store.close());

describe('a signed-in caller cannot tell a private entity from a missing one by the work done', () => {
  it.each(Object.keys(PROBES))('%s runs the same SQL statements for both', async (name) => {
    const probe = PROBES[name]!;
    const hidden = await statementsOf(() => probe(true));
    const missing = await statementsOf(() => probe(false));
    // Same answer (up to the name) ...
    expect(hidden.answer.replaceAll('hidden', 'absent')).toBe(missing.answer);
    // ... and the same statements: nothing extra runs for the entity that exists. (Compared as
    // sorted lists: on PostgreSQL, Prisma loads a row's relations concurrently, in either order.)
    expect(hidden.statements.length).toBeGreaterThan(0);
    expect([...hidden.statements].sort()).toEqual([...missing.statements].sort());
  });
});
