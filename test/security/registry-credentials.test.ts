import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GrantDocument, PushResourceDocument, ReleaseDocument, SetPrivateDocument } from '../generated/graphql.js';
import { createUserAndLogin, loginAdmin } from '../support/accounts.js';
import { pushOk } from '../support/push.js';
import { registerEntity } from '../support/sharing.js';
import { createTestStore, type TestStore } from '../support/store.js';
import { charmZip } from '../support/zip.js';

/**
 * Issue 9, item 9: an oci-image resource's descriptor may carry a private
 * registry's username and password, and GET /resources/... served it
 * verbatim to every reader, anonymous ones once the charm was public. Now
 * only callers who may push to the charm get the descriptor as pushed;
 * everyone else gets {"image", "digest"}.
 */
const DIGEST = `sha256:${'2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881'}`;
const DESCRIPTOR = JSON.stringify({ image: 'registry.example.com/team/app:1.4', digest: DIGEST, username: 'robot$ci', password: 'hunter2-registry-secret' });
const PATH = '/resources/~kirk/app/image/0';
let store: TestStore;
const tokens: Record<string, string | undefined> = {};

beforeAll(async () => {
  store = await createTestStore();
  const admin = await loginAdmin(store);
  for (const name of ['kirk', 'lars', 'scotty']) tokens[name] = await createUserAndLogin(store, admin, name);
  tokens.admin = admin;
  await registerEntity(store, tokens.kirk!, 'app');
  await pushOk(store, tokens.kirk!, charmZip({ name: 'app', resources: { image: { type: 'oci-image' } } }), 'cs:~kirk/app');
  const pushed = await store.executeMultipart(
    PushResourceDocument,
    { input: { url: 'cs:~kirk/app', name: 'image', file: null } },
    { 'input.file': new File([DESCRIPTOR], 'image.json') },
    { token: tokens.kirk },
  );
  expect(pushed.data?.pushResource.__typename).toBe('PushResourceSuccess');
  const released = await store.execute(ReleaseDocument, { input: { url: 'cs:~kirk/app', revision: 0, channels: ['stable', 'edge'] } }, { token: tokens.kirk });
  expect(released.data?.release.__typename).toBe('ReleaseSuccess');
  const grants = [
    { principals: ['lars'], channel: 'edge', acl: 'WRITE' as const },
    { principals: ['scotty'], channel: 'unpublished', acl: 'WRITE' as const },
  ];
  for (const grant of grants) {
    const result = await store.execute(GrantDocument, { input: { url: 'cs:~kirk/app', ...grant } }, { token: tokens.kirk });
    expect(result.data?.grant.__typename).toBe('GrantSuccess');
  }
  const published = await store.execute(SetPrivateDocument, { input: { url: 'cs:~kirk/app', private: false } }, { token: tokens.kirk });
  expect(published.data?.setPrivate.__typename).toBe('SetPrivateSuccess');
});
afterAll(() => store.close());

describe('an oci-image descriptor with registry credentials', () => {
  it.each([['anonymous'], ['lars (writes edge, but may not push)']])('reaches %s as image and digest only, with matching digests', async (who) => {
    const token = who === 'anonymous' ? undefined : tokens.lars;
    const response = await store.request(PATH, { token });
    expect(response.status).toBe(200);
    const body = Buffer.from(await response.arrayBuffer());
    expect(JSON.parse(body.toString('utf8'))).toEqual({ image: 'registry.example.com/team/app:1.4', digest: DIGEST });
    expect(body.toString('utf8')).not.toMatch(/hunter2|robot/);
    expect(response.headers.get('content-length')).toBe(String(body.length));
    expect(response.headers.get('etag')).toBe(`"${createHash('sha384').update(body).digest('hex')}"`);
    expect(response.headers.get('repr-digest')).toBe(`sha-256=:${createHash('sha256').update(body).digest('base64')}:`);
    const partial = await store.request(PATH, { token, headers: { range: 'bytes=0-9' } });
    expect(partial.status).toBe(206);
    expect(Buffer.from(await partial.arrayBuffer())).toEqual(body.subarray(0, 10));
  });

  it.each([['kirk'], ['scotty'], ['admin']])('reaches %s, who may push to the charm, as pushed', async (who) => {
    const response = await store.request(PATH, { token: tokens[who] });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe(DESCRIPTOR);
  });
});

describe("Juju's form of the descriptor ({ImageName, Username, Password})", () => {
  it('reaches readers as image and digest only, too', async () => {
    const juju = JSON.stringify({ ImageName: `registry.example.com/team/app@${DIGEST}`, Username: 'juju-robot', Password: 'juju-registry-secret' });
    const pushed = await store.executeMultipart(
      PushResourceDocument,
      { input: { url: 'cs:~kirk/app', name: 'image', file: null } },
      { 'input.file': new File([juju], 'image.json') },
      { token: tokens.kirk },
    );
    expect(pushed.data?.pushResource).toMatchObject({ __typename: 'PushResourceSuccess', resourceRevision: { revision: 1 } });
    const released = await store.execute(ReleaseDocument, { input: { url: 'cs:~kirk/app', revision: 0, channels: ['beta'], resources: [{ name: 'image', revision: 1 }] } }, { token: tokens.kirk });
    expect(released.data?.release.__typename).toBe('ReleaseSuccess');
    const response = await store.request('/resources/~kirk/app/image/1');
    expect(response.status).toBe(200);
    const body = await response.text();
    expect(JSON.parse(body)).toEqual({ image: `registry.example.com/team/app@${DIGEST}`, digest: DIGEST });
    expect(body).not.toMatch(/juju-robot|juju-registry-secret/);
    expect(await (await store.request('/resources/~kirk/app/image/1', { token: tokens.kirk })).text()).toBe(juju);
  });
});
