import { afterAll, beforeAll, expect, it } from 'vitest';
import { EntityRevisionsDocument, PushResourceDocument, ReleaseDocument, ResolveDocument } from '../generated/graphql.js';
import { createUserAndLogin, loginAdmin } from '../support/accounts.js';
import { pushOk } from '../support/push.js';
import { createTestStore, type TestStore } from '../support/store.js';
import { charmZip } from '../support/zip.js';

let store: TestStore;
let kirk: string;
let spock: string;

beforeAll(async () => {
  store = await createTestStore();
  const admin = await loginAdmin(store);
  kirk = await createUserAndLogin(store, admin, 'kirk');
  spock = await createUserAndLogin(store, admin, 'spock');
});
afterAll(() => store.close());

function pushResource(name: string, content: string) {
  return store.executeMultipart(
    PushResourceDocument,
    { input: { url: 'cs:~kirk/foo', name, file: null } },
    { 'input.file': new File([content], name) },
    { token: kirk },
  );
}

it('publishes a charm with a resource: push, pushResource, release, resolve, download', async () => {
  await pushOk(store, kirk, charmZip({ name: 'foo', resources: { config: { type: 'file' } } }));
  expect((await pushResource('config', 'first\n')).data?.pushResource).toMatchObject({ resourceRevision: { revision: 0 } });
  expect((await pushResource('config', 'second\n')).data?.pushResource).toMatchObject({ resourceRevision: { revision: 1 } });

  const released = await store.execute(
    ReleaseDocument,
    { input: { url: 'cs:~kirk/foo', revision: 0, channels: ['stable'], resources: [{ name: 'config', revision: 0 }] } },
    { token: kirk },
  );
  expect(released.data?.release.__typename).toBe('ReleaseSuccess');
  const resolved = await store.execute(ResolveDocument, { url: 'cs:~kirk/foo', channel: 'stable' }, { token: kirk });
  expect(resolved.data?.resolve).toMatchObject({ revision: { number: 0 }, channel: 'latest/stable', resources: [{ name: 'config', revision: 0 }] });

  // Once public, others read what was released there: revision 0 and config revision 0, not config revision 1.
  await store.database.db.prisma.entity.updateMany({ where: { name: 'foo' }, data: { private: false } });
  const seen = await store.execute(EntityRevisionsDocument, { url: 'cs:~kirk/foo' }, { token: spock });
  expect(seen.data?.entity?.revisions.edges.map((edge) => edge.node.number)).toEqual([0]);
  expect(seen.data?.entity?.resources[0]?.revisions.edges.map((edge) => edge.node.revision)).toEqual([0]);
  const pinned = await store.request('/resources/~kirk/foo/config/0', { token: spock });
  expect(pinned.status).toBe(200);
  expect(await pinned.text()).toBe('first\n');
  expect((await store.request('/resources/~kirk/foo/config/1', { token: spock })).status).toBe(404);
  expect((await store.request('/resources/~kirk/foo/config/1', { token: kirk })).status).toBe(200);
});
