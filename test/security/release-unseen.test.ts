import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GrantDocument, PushResourceDocument, ReleaseDocument } from '../generated/graphql.js';
import { createUserAndLogin, loginAdmin } from '../support/accounts.js';
import { pushOk } from '../support/push.js';
import { registerEntity } from '../support/sharing.js';
import { createTestStore, type TestStore } from '../support/store.js';
import { charmZip } from '../support/zip.js';

/**
 * Issue 9, item 5: lars may write `edge` of cs:~kirk/foo but not read
 * `unpublished`. He used to be able to release any unpublished revision (or
 * pin any resource revision), then download it; and "has no revision 7"
 * counted the unpublished ones. Releasing revision N now needs read on
 * `unpublished`, or N already released on a channel he may read; an unseen
 * revision and a missing one get the same answer.
 */
let store: TestStore;
let kirk: string;
let lars: string;

const zip = (note: string) => charmZip({ name: 'foo', resources: { data: { type: 'file' } }, revisionNote: note });

async function release(token: string, revision: number, resources?: Array<{ name: string; revision: number }>) {
  const result = await store.execute(ReleaseDocument, { input: { url: 'cs:~kirk/foo', revision, channels: ['edge'], resources } }, { token });
  expect(result.errors).toBeUndefined();
  return result.data!.release;
}

async function pushData(content: string): Promise<number> {
  const result = await store.executeMultipart(PushResourceDocument, { input: { url: 'cs:~kirk/foo', name: 'data', file: null } }, { 'input.file': new File([content], 'data.bin') }, { token: kirk });
  if (result.data?.pushResource.__typename !== 'PushResourceSuccess') throw new Error(JSON.stringify(result));
  return result.data.pushResource.resourceRevision.revision;
}

beforeAll(async () => {
  store = await createTestStore();
  const admin = await loginAdmin(store);
  kirk = await createUserAndLogin(store, admin, 'kirk');
  lars = await createUserAndLogin(store, admin, 'lars');
  await registerEntity(store, kirk, 'foo');
  const granted = await store.execute(GrantDocument, { input: { url: 'cs:~kirk/foo', channel: 'edge', acl: 'WRITE', principals: ['lars'] } }, { token: kirk });
  expect(granted.data?.grant.__typename).toBe('GrantSuccess');
  // Revision 0 and data 0 are released on edge; revision 1 and data 1 are pushed but never released.
  await pushOk(store, kirk, zip('zero'), 'cs:~kirk/foo');
  await pushData('data zero');
  expect((await release(kirk, 0, [{ name: 'data', revision: 0 }])).__typename).toBe('ReleaseSuccess');
  await pushOk(store, kirk, zip('one'), 'cs:~kirk/foo');
  await pushData('data one');
});
afterAll(() => store.close());

describe('a writer of edge without read on unpublished', () => {
  it('cannot release an unpublished revision, and is told exactly what a missing revision gets', async () => {
    const unseen = await release(lars, 1);
    const missing = await release(lars, 7);
    expect(unseen.__typename).toBe('NotFoundError');
    expect(JSON.stringify(unseen).replace('revision 1', 'revision 7')).toBe(JSON.stringify(missing));
    // ... so it stays undownloadable for him.
    expect((await store.request('/archives/~kirk/foo/1', { token: lars })).status).toBe(404);
  });

  it('may re-release a revision he can already see on edge, and its pins default to the newest resource revision he can see', async () => {
    const result = await release(lars, 0);
    if (result.__typename !== 'ReleaseSuccess') throw new Error(JSON.stringify(result));
    expect(result.releases[0]!.resources).toEqual([{ name: 'data', revision: 0 }]);
  });

  it('cannot pin an unseen resource revision; the refusal lists only the revisions he can see', async () => {
    const unseen = await release(lars, 0, [{ name: 'data', revision: 1 }]);
    const missing = await release(lars, 0, [{ name: 'data', revision: 7 }]);
    expect(unseen).toMatchObject({ __typename: 'ValidationError', field: 'resources' });
    expect(JSON.stringify(unseen).replace('revision 1', 'revision 7')).toBe(JSON.stringify(missing));
    expect(JSON.stringify(unseen)).toContain('it has 0');
    expect((await store.request('/resources/~kirk/foo/data/1', { token: lars })).status).toBe(404);
  });

  it('may release it once given read on unpublished, as the owner always may', async () => {
    const granted = await store.execute(GrantDocument, { input: { url: 'cs:~kirk/foo', channel: 'unpublished', principals: ['lars'] } }, { token: kirk });
    expect(granted.data?.grant.__typename).toBe('GrantSuccess');
    const result = await release(lars, 1, [{ name: 'data', revision: 1 }]);
    expect(result.__typename).toBe('ReleaseSuccess');
    expect((await store.request('/archives/~kirk/foo/1', { token: lars })).status).toBe(200);
  });
});
