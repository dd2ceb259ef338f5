import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateTokenDocument,
  EntityRevisionsAndChannelsDocument,
  LogoutDocument,
  RegisterNameWithRevisionsDocument,
  ReleaseDocument,
  RevisionByUrlDocument,
  SetPrivateDocument,
  ViewerDocument,
} from './generated/graphql.js';
import { createUserAndLogin, loginAdmin } from './support/accounts.js';
import { pushOk } from './support/push.js';
import { registerEntity } from './support/sharing.js';
import { createTestStore, type TestStore } from './support/store.js';
import { charmZip } from './support/zip.js';

// Cases found in review: each failed before its fix.
let store: TestStore;
let admin: string;
let kirk: string;

beforeAll(async () => {
  store = await createTestStore();
  admin = await loginAdmin(store);
  kirk = await createUserAndLogin(store, admin, 'kirk');
  for (const note of ['A', 'B']) await pushOk(store, kirk, charmZip({ name: 'foo', revisionNote: note }));
  await registerEntity(store, kirk, 'bar');
  for (const name of ['foo', 'bar']) {
    await store.execute(SetPrivateDocument, { input: { url: `~kirk/${name}`, private: false } }, { token: kirk });
  }
  const released = await store.execute(ReleaseDocument, { input: { url: 'cs:~kirk/foo-0', channels: ['stable'] } }, { token: kirk });
  expect(released.data?.release.__typename).toBe('ReleaseSuccess');
});
afterAll(() => store.close());

describe('one query asking for revisions in several ways', () => {
  it('answers each from its own loader', async () => {
    const result = await store.execute(EntityRevisionsAndChannelsDocument, { url: '~kirk/foo' }, { token: kirk });
    expect(result.errors).toBeUndefined();
    expect(result.data?.entity).toMatchObject({
      latestRevision: { number: 1 },
      revision: { number: 0 },
      channel: { revision: { number: 0 } },
    });
    expect(result.data?.entity?.channelMap.find((channel) => channel.name === 'latest/stable')).toEqual({ name: 'latest/stable', revision: { number: 0 } });
  });
});

describe('revision numbers beyond 32 bits', () => {
  it('are a malformed url, not an unexpected error', async () => {
    const lookup = await store.execute(RevisionByUrlDocument, { url: 'cs:~kirk/foo-3000000000' }, { token: kirk });
    expect(lookup).toEqual({ status: 200, data: { revision: null } });
    const release = await store.execute(ReleaseDocument, { input: { url: 'cs:~kirk/foo-3000000000', channels: ['edge'] } }, { token: kirk });
    expect(release.data?.release).toEqual({
      __typename: 'ValidationError',
      field: 'url',
      message:
        '"cs:~kirk/foo-3000000000" is not a valid charm or bundle url: the revision is larger than 2147483647; use [cs:][~owner/][series/]name[-revision], e.g. "cs:~kirk/foo", "~kirk/bundle/wiki-3" or "foo"',
    });
  });
});

describe('scoped tokens', () => {
  it('cannot create a token for an entity outside their own limits, even a public one', async () => {
    const created = await store.execute(CreateTokenDocument, { input: { entities: ['cs:~kirk/bar'] } }, { token: kirk });
    if (created.data?.createToken.__typename !== 'CreateTokenSuccess') throw new Error(JSON.stringify(created));
    const scoped = created.data.createToken.token;
    const escalated = await store.execute(CreateTokenDocument, { input: { entities: ['cs:~kirk/foo'] } }, { token: scoped });
    expect(escalated.data?.createToken).toEqual({
      __typename: 'PermissionDeniedError',
      message: 'The token in use is limited to cs:~kirk/bar; it cannot create a token for cs:~kirk/foo',
    });
    const narrower = await store.execute(CreateTokenDocument, { input: { entities: ['cs:~kirk/bar'], permissions: ['package-view'] } }, { token: scoped });
    expect(narrower.data?.createToken.__typename).toBe('CreateTokenSuccess');
  });

  it('cannot log the user out everywhere', async () => {
    const created = await store.execute(CreateTokenDocument, { input: { permissions: ['package-view'] } }, { token: kirk });
    if (created.data?.createToken.__typename !== 'CreateTokenSuccess') throw new Error(JSON.stringify(created));
    const result = await store.execute(LogoutDocument, { input: { all: true } }, { token: created.data.createToken.token });
    expect(result.data?.logout).toEqual({
      __typename: 'PermissionDeniedError',
      message: 'A scoped token can only log itself out; use an unscoped token (from login) for all: true',
    });
    expect((await store.execute(ViewerDocument, {}, { token: kirk })).status).toBe(200);
  });

  it('that may only register names can read what they registered', async () => {
    const created = await store.execute(CreateTokenDocument, { input: { permissions: ['account-register-package'] } }, { token: kirk });
    if (created.data?.createToken.__typename !== 'CreateTokenSuccess') throw new Error(JSON.stringify(created));
    const result = await store.execute(RegisterNameWithRevisionsDocument, { input: { name: 'fresh' } }, { token: created.data.createToken.token });
    expect(result).toEqual({
      status: 200,
      data: { registerName: { __typename: 'RegisterNameSuccess', entity: { url: 'cs:~kirk/fresh', latestRevision: null, revisions: { edges: [] } } } },
    });
  });
});
