import { afterAll, beforeAll, expect, it } from 'vitest';
import { EntityRevisionsDocument } from '../generated/graphql.js';
import { createUserAndLogin, loginAdmin } from '../support/accounts.js';
import { pushArchive } from '../support/push.js';
import { createTestStore, type TestStore } from '../support/store.js';
import { charmZip } from '../support/zip.js';

let store: TestStore;
let kirk: string;
beforeAll(async () => {
  store = await createTestStore();
  kirk = await createUserAndLogin(store, await loginAdmin(store), 'kirk');
});
afterAll(() => store.close());

it('pushes', async () => {
  const result = await pushArchive(store, kirk, charmZip({ name: 'foo', resources: { data: { type: 'file' } } }));
  console.log(JSON.stringify(result, null, 1));
  const again = await pushArchive(store, kirk, charmZip({ name: 'foo', revisionNote: 'x' }));
  console.log(JSON.stringify(again, null, 1));
  const read = await store.execute(EntityRevisionsDocument, { url: 'cs:~kirk/foo' }, { token: kirk });
  console.log(JSON.stringify(read, null, 1));
  const dl = await store.request('/archives/~kirk/foo/0', { token: kirk });
  console.log(dl.status, [...dl.headers.entries()]);
  expect(1).toBe(1);
});
