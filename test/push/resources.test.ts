import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EntityRevisionsDocument, PushResourceDocument } from '../generated/graphql.js';
import { createUserAndLogin, loginAdmin } from '../support/accounts.js';
import { expectOnlyAudited, expectStoreUnchanged, pushOk, upload } from '../support/push.js';
import { createTestStore, type TestStore } from '../support/store.js';
import { charmZip } from '../support/zip.js';

let store: TestStore;
let kirk: string;
let spock: string;

const DIGEST = `sha256:${'a'.repeat(64)}`;

beforeAll(async () => {
  store = await createTestStore();
  const admin = await loginAdmin(store);
  kirk = await createUserAndLogin(store, admin, 'kirk');
  spock = await createUserAndLogin(store, admin, 'spock');
  await pushOk(
    store,
    kirk,
    charmZip({
      name: 'webapp',
      resources: { 'app-image': { type: 'oci-image', description: 'The application image' }, config: { type: 'file', description: 'Site configuration' } },
    }),
  );
});
afterAll(() => store.close());

function pushResourceFile(token: string, name: string, content: string | Buffer, url = 'cs:~kirk/webapp') {
  const bytes = typeof content === 'string' ? Buffer.from(content) : content;
  return store.executeMultipart(PushResourceDocument, { input: { url, name, file: null } }, { 'input.file': new File([new Uint8Array(bytes)], name) }, { token });
}

const expectNothingChanged = (refused: () => Promise<unknown>) => expectStoreUnchanged(store, refused);

describe('declared resources', () => {
  it('become the entity\'s resources on push', async () => {
    const result = await store.execute(EntityRevisionsDocument, { url: '~kirk/webapp' }, { token: kirk });
    expect(result.data?.entity?.resources).toEqual([
      { name: 'app-image', type: 'oci-image', description: 'The application image', revisions: { edges: [] } },
      { name: 'config', type: 'file', description: 'Site configuration', revisions: { edges: [] } },
    ]);
  });
});

describe('pushResource', () => {
  it('counts file revisions 0, 1, 2 with the same dedupe rule as archives (A, B, A)', async () => {
    const a = await pushResourceFile(kirk, 'config', 'listen: 80\n');
    expect(a.data?.pushResource).toMatchObject({
      __typename: 'PushResourceSuccess',
      duplicate: false,
      resourceRevision: { name: 'config', revision: 0, size: 11, createdBy: 'kirk', downloadUrl: '/resources/~kirk/webapp/config/0' },
    });
    expect((await pushResourceFile(kirk, 'config', 'listen: 8080\n')).data?.pushResource).toMatchObject({ resourceRevision: { revision: 1 } });
    await expectOnlyAudited(store, 'push-resource-duplicate', async () => {
      const duplicate = await pushResourceFile(kirk, 'config', 'listen: 8080\n');
      expect(duplicate.data?.pushResource).toMatchObject({ duplicate: true, resourceRevision: { revision: 1 } });
    });
    expect((await pushResourceFile(kirk, 'config', 'listen: 80\n')).data?.pushResource).toMatchObject({ duplicate: false, resourceRevision: { revision: 2 } });

    const listed = await store.execute(EntityRevisionsDocument, { url: '~kirk/webapp' }, { token: kirk });
    const config = listed.data?.entity?.resources.find((resource) => resource.name === 'config');
    expect(config?.revisions.edges.map((edge) => edge.node.revision)).toEqual([2, 1, 0]);
  });

  it('takes content streamed to POST /uploads', async () => {
    const receipt = await upload(store, kirk, Buffer.from('from an upload\n'));
    const result = await store.execute(PushResourceDocument, { input: { url: '~kirk/webapp', name: 'config', uploadId: receipt.uploadId } }, { token: kirk });
    expect(result.data?.pushResource).toMatchObject({ __typename: 'PushResourceSuccess', resourceRevision: { revision: 3, sha384: receipt.sha384 } });
  });

  it('checks an oci-image descriptor (JSON or YAML) before storing it', async () => {
    const json = await pushResourceFile(kirk, 'app-image', JSON.stringify({ image: 'registry.example.com/team/webapp:1.2', digest: DIGEST }));
    expect(json.data?.pushResource).toMatchObject({ __typename: 'PushResourceSuccess', resourceRevision: { name: 'app-image', revision: 0 } });
    const yaml = await pushResourceFile(kirk, 'app-image', `image: registry.example.com/team/webapp@${DIGEST}\ndigest: ${DIGEST}\nusername: robot\npassword: secret\n`);
    expect(yaml.data?.pushResource).toMatchObject({ __typename: 'PushResourceSuccess', resourceRevision: { revision: 1 } });

    const hint = 'an oci-image resource is a JSON or YAML document {"image": "<registry/path:tag>", "digest": "sha256:<64 hex digits>"}';
    const refusals: Array<[string, string]> = [
      ['just some text', `The oci-image descriptor must be a mapping; ${hint}`],
      [JSON.stringify({ image: 'Not An Image', digest: DIGEST }), `The oci-image descriptor's "image" is missing or not an image reference; ${hint}`],
      [JSON.stringify({ image: 'webapp:1', digest: 'sha256:nothex' }), `The oci-image descriptor's "digest" is missing or not "sha256:" and 64 lowercase hex digits; ${hint}`],
      [JSON.stringify({ image: 'webapp:1', digest: DIGEST, tag: 'x' }), `The oci-image descriptor has unknown keys (tag); ${hint}`],
      [
        JSON.stringify({ image: `webapp@sha256:${'b'.repeat(64)}`, digest: DIGEST }),
        `The oci-image descriptor's image reference is pinned to sha256:${'b'.repeat(64)} but "digest" says ${DIGEST}; make them agree`,
      ],
    ];
    for (const [content, message] of refusals) {
      await expectNothingChanged(async () => {
        const result = await pushResourceFile(kirk, 'app-image', content);
        expect(result.data?.pushResource).toEqual({ __typename: 'ValidationError', field: 'file', message });
      });
    }
    await expectNothingChanged(async () => {
      const result = await pushResourceFile(kirk, 'app-image', Buffer.alloc(64 * 1024 + 1, 'x'));
      expect(result.data?.pushResource).toEqual({
        __typename: 'ValidationError',
        field: 'file',
        message: 'The oci-image descriptor of "app-image" is 65537 bytes; the limit is 65536 bytes',
      });
    });
  });

  it("accepts Juju's own oci-image document ({ImageName, Username, Password}) and checks it the same way", async () => {
    const juju = await pushResourceFile(kirk, 'app-image', JSON.stringify({ ImageName: `registry.jujucharms.com/charm/webapp/image@${DIGEST}`, Username: 'docker-registry', Password: 'token' }));
    expect(juju.data?.pushResource).toMatchObject({ __typename: 'PushResourceSuccess', resourceRevision: { name: 'app-image' } });
    const tagged = await pushResourceFile(kirk, 'app-image', 'ImageName: ghcr.io/team/webapp:1.2\n');
    expect(tagged.data?.pushResource).toMatchObject({ __typename: 'PushResourceSuccess' });
    const hint = 'Juju\'s form is {"ImageName": "<registry/path:tag or @sha256:digest>", "Username": "...", "Password": "..."}';
    for (const [content, message] of [
      [JSON.stringify({ ImageName: 'Not An Image' }), `The oci-image descriptor's "ImageName" is missing or not an image reference; ${hint}`],
      [JSON.stringify({ ImageName: 'webapp:1', digest: DIGEST }), `The oci-image descriptor has unknown keys (digest); ${hint}`],
      [JSON.stringify({ ImageName: 'webapp:1', Password: 7 }), 'The oci-image descriptor\'s "Password" must be a string'],
    ]) {
      await expectNothingChanged(async () => {
        const result = await pushResourceFile(kirk, 'app-image', content!);
        expect(result.data?.pushResource).toEqual({ __typename: 'ValidationError', field: 'file', message });
      });
    }
  });

  it('refuses a resource the charm does not declare', async () => {
    await expectNothingChanged(async () => {
      const result = await pushResourceFile(kirk, 'database', 'x');
      expect(result.data?.pushResource).toEqual({
        __typename: 'ValidationError',
        field: 'name',
        message: 'cs:~kirk/webapp has no resource "database" (it declares "app-image", "config"); declare it under "resources" in metadata.yaml and push the charm first',
      });
    });
  });

  it('refuses a url with a revision', async () => {
    await expectNothingChanged(async () => {
      const result = await pushResourceFile(kirk, 'config', 'x', 'cs:~kirk/webapp-0');
      expect(result.data?.pushResource).toEqual({
        __typename: 'ValidationError',
        field: 'url',
        message: '"cs:~kirk/webapp-0" has a revision; resources belong to the entity, so give the url without "-0"',
      });
    });
  });

  it('answers NotFoundError to those who cannot see the charm, PermissionDeniedError to readers', async () => {
    await expectNothingChanged(async () => {
      const result = await pushResourceFile(spock, 'config', 'x');
      expect(result.data?.pushResource).toEqual({ __typename: 'NotFoundError', message: 'No charm or bundle matches "cs:~kirk/webapp" (or you may not see it)' });
    });
    await store.database.db.prisma.entity.updateMany({ where: { name: 'webapp' }, data: { private: false } });
    try {
      await expectNothingChanged(async () => {
        const result = await pushResourceFile(spock, 'config', 'x');
        expect(result.data?.pushResource).toEqual({
          __typename: 'PermissionDeniedError',
          message: 'You may not push resources to cs:~kirk/webapp: that needs write access to its unpublished channel; ask its owner to grant it',
        });
      });
    } finally {
      await store.database.db.prisma.entity.updateMany({ where: { name: 'webapp' }, data: { private: true } });
    }
  });

  it('downloads the bytes pushed', async () => {
    const content = Buffer.from(Array.from({ length: 5000 }, (_, i) => i % 256));
    const pushed = await pushResourceFile(kirk, 'config', content);
    if (pushed.data?.pushResource.__typename !== 'PushResourceSuccess') throw new Error(JSON.stringify(pushed));
    const response = await store.request(pushed.data.pushResource.resourceRevision.downloadUrl, { token: kirk });
    expect(response.status).toBe(200);
    expect(Buffer.from(await response.arrayBuffer()).equals(content)).toBe(true);
    expect((await store.request(pushed.data.pushResource.resourceRevision.downloadUrl, { token: spock })).status).toBe(404);
    expect((await store.request(pushed.data.pushResource.resourceRevision.downloadUrl)).status).toBe(404);
  });
});
