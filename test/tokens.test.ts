import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateTokenDocument,
  CreateUserDocument,
  EntityAuditEventsDocument,
  EntitySharingDocument,
  GrantDocument,
  RegisterNameDocument,
  RevokeTokenDocument,
  SetPrivateDocument,
  ViewerDocument,
  ViewerTokensDocument,
  type CreateTokenInput,
} from './generated/graphql.js';
import { createUserAndLogin, loginAdmin } from './support/accounts.js';
import { registerEntity } from './support/sharing.js';
import { createTestStore, type TestStore } from './support/store.js';

let store: TestStore;
let admin: string;
let kirk: string;
let spock: string;

beforeAll(async () => {
  store = await createTestStore();
  admin = await loginAdmin(store);
  kirk = await createUserAndLogin(store, admin, 'kirk');
  spock = await createUserAndLogin(store, admin, 'spock');
  await registerEntity(store, kirk, 'foo');
  await registerEntity(store, kirk, 'bar');
  await registerEntity(store, kirk, 'wiki', { kind: 'BUNDLE' });
  await registerEntity(store, spock, 'public-thing', { private: false });
  await registerEntity(store, spock, 'secret');
});
afterAll(() => store.close());

async function createToken(token: string, input: CreateTokenInput) {
  const result = await store.execute(CreateTokenDocument, { input }, { token });
  if (result.data?.createToken.__typename !== 'CreateTokenSuccess') throw new Error(JSON.stringify(result));
  return result.data.createToken;
}

describe('createToken', () => {
  it('makes a token with limits, a 30 hour default lifetime and canonical entity urls, and viewer shows them', async () => {
    const created = await createToken(kirk, {
      description: 'CI of foo',
      permissions: ['package-manage-releases', 'package-view'],
      entities: ['~kirk/foo', 'cs:~kirk/bundle/wiki-3'],
      channels: ['edge', '2.0/beta', 'latest/edge/fix-1', '1.2'],
    });
    expect(created).toMatchObject({
      expiresAt: '2026-01-02T06:00:00.000Z',
      accessToken: {
        description: 'CI of foo',
        permissions: ['package-manage-releases', 'package-view'],
        entities: ['cs:~kirk/foo', 'cs:~kirk/bundle/wiki'],
        channels: ['edge', '2.0/beta', 'latest/edge/fix-1', '1.2/stable'],
        expiresAt: '2026-01-02T06:00:00.000Z',
        lastUsedAt: null,
        current: false,
      },
    });
    expect(created.token).toMatch(/^csk_/);
    const viewer = await store.execute(ViewerTokensDocument, {}, { token: created.token });
    expect(viewer.data?.viewer).toMatchObject({
      user: { username: 'kirk' },
      permissions: ['package-manage-releases', 'package-view'],
      entities: ['cs:~kirk/foo', 'cs:~kirk/bundle/wiki'],
      channels: ['edge', '2.0/beta', 'latest/edge/fix-1', '1.2/stable'],
      expiresAt: '2026-01-02T06:00:00.000Z',
    });
    // A scoped token lists only itself.
    expect(viewer.data?.viewer?.tokens.edges.map((edge) => edge.node)).toEqual([
      expect.objectContaining({ id: created.accessToken.id, description: 'CI of foo', current: true, lastUsedAt: store.clock.now.toISOString() }),
    ]);
  });

  it.each([
    [{ permissions: ['package-fly'] }, 'permissions', 'Unknown permission "package-fly"; use package-view, package-view-revisions, package-view-releases, package-view-acl, package-view-metadata, package-view-metrics, package-manage, package-manage-revisions, package-manage-releases, package-manage-acl, package-manage-metadata, account-register-package, account-view-packages'],
    [{ channels: ['edge/fix'] }, 'channels', '"edge/fix" is ambiguous as a token channel: name the track of the branch, e.g. "latest/edge/fix"'],
    [{ channels: ['a/b/c/d'] }, 'channels', expect.stringContaining('"a/b/c/d" is not a valid channel')],
    [{ ttlSeconds: 0 }, 'ttlSeconds', 'ttlSeconds must be between 1 and 31536000 (the configured maximum)'],
    [{ ttlSeconds: 31536001 }, 'ttlSeconds', 'ttlSeconds must be between 1 and 31536000 (the configured maximum)'],
    [{ entities: ['not a url'] }, 'entities', expect.stringContaining('"not a url" is not a valid charm or bundle url')],
  ])('refuses bad input %j', async (input, field, message) => {
    const result = await store.execute(CreateTokenDocument, { input }, { token: kirk });
    expect(result.data?.createToken).toEqual({ __typename: 'ValidationError', field, message });
  });

  it('refuses entities the user cannot see, exactly like missing ones', async () => {
    const secret = await store.execute(CreateTokenDocument, { input: { entities: ['cs:~spock/secret'] } }, { token: kirk });
    const missing = await store.execute(CreateTokenDocument, { input: { entities: ['cs:~spock/missing'] } }, { token: kirk });
    expect(secret.data?.createToken).toEqual({ __typename: 'NotFoundError', message: 'No charm or bundle matches "cs:~spock/secret" (or you may not see it)' });
    expect(missing.data?.createToken).toEqual({ __typename: 'NotFoundError', message: 'No charm or bundle matches "cs:~spock/missing" (or you may not see it)' });
  });

  it('needs a signed-in user', async () => {
    const result = await store.execute(CreateTokenDocument, { input: {} });
    expect(result.data?.createToken.__typename).toBe('AuthenticationError');
  });

  it('lets a scoped token make only narrower tokens, inheriting its limits and its expiry', async () => {
    const parent = await createToken(kirk, { permissions: ['package-manage-releases'], entities: ['cs:~kirk/foo'], channels: ['edge'], ttlSeconds: 3600 });
    const broaderPermission = await store.execute(CreateTokenDocument, { input: { permissions: ['package-manage-acl'] } }, { token: parent.token });
    expect(broaderPermission.data?.createToken).toEqual({
      __typename: 'PermissionDeniedError',
      message: 'The token in use is limited to package-manage-releases; it cannot create a token with package-manage-acl',
    });
    const broaderChannel = await store.execute(CreateTokenDocument, { input: { channels: ['beta'] } }, { token: parent.token });
    expect(broaderChannel.data?.createToken).toEqual({
      __typename: 'PermissionDeniedError',
      message: 'The token in use is limited to the channels edge; it cannot create a token for beta',
    });
    const otherEntity = await store.execute(CreateTokenDocument, { input: { entities: ['cs:~kirk/bar'] } }, { token: parent.token });
    expect(otherEntity.data?.createToken).toEqual({ __typename: 'NotFoundError', message: 'No charm or bundle matches "cs:~kirk/bar" (or you may not see it)' });

    const child = await createToken(parent.token, { description: 'child', channels: ['2.0/edge'], ttlSeconds: 7200, permissions: ['package-view-releases'] });
    expect(child.accessToken).toMatchObject({
      permissions: ['package-view-releases'],
      entities: ['cs:~kirk/foo'],
      channels: ['2.0/edge'],
      expiresAt: parent.expiresAt,
    });
    const inherited = await createToken(parent.token, {});
    expect(inherited.accessToken).toMatchObject({ permissions: ['package-manage-releases'], entities: ['cs:~kirk/foo'], channels: ['edge'] });
  });
});

describe('what a token may do', () => {
  it('a package-view token sees the entity but cannot grant, change privacy or register names', async () => {
    const { token } = await createToken(kirk, { permissions: ['package-view'] });
    expect((await store.execute(EntitySharingDocument, { url: 'cs:~kirk/foo' }, { token })).data?.entity).toMatchObject({
      url: 'cs:~kirk/foo',
      // Without package-view-acl the lists shrink to what names the caller.
      acl: [
        { channel: 'unpublished', read: ['kirk'], write: ['kirk'] },
        { channel: 'stable', read: ['kirk'], write: ['kirk'] },
        { channel: 'candidate', read: ['kirk'], write: ['kirk'] },
        { channel: 'beta', read: ['kirk'], write: ['kirk'] },
        { channel: 'edge', read: ['kirk'], write: ['kirk'] },
      ],
    });
    const denied = 'Only the owners of cs:~kirk/foo and store administrators may change its sharing (the token in use does not allow package-manage-acl)';
    expect((await store.execute(GrantDocument, { input: { url: 'cs:~kirk/foo', principals: ['spock'] } }, { token })).data?.grant).toEqual({ __typename: 'PermissionDeniedError', message: denied });
    expect((await store.execute(SetPrivateDocument, { input: { url: 'cs:~kirk/foo', private: false } }, { token })).data?.setPrivate).toEqual({
      __typename: 'PermissionDeniedError',
      message: denied,
    });
    expect((await store.execute(RegisterNameDocument, { input: { name: 'via-token' } }, { token })).data?.registerName.__typename).toBe('PermissionDeniedError');
  });

  it('an entity-limited token sees nothing private of other entities, but what anybody sees stays visible', async () => {
    const { token } = await createToken(kirk, { entities: ['cs:~kirk/foo'] });
    expect((await store.execute(EntitySharingDocument, { url: 'cs:~kirk/foo' }, { token })).data?.entity?.url).toBe('cs:~kirk/foo');
    expect((await store.execute(EntitySharingDocument, { url: 'cs:~kirk/bar' }, { token })).data?.entity).toBeNull();
    expect((await store.execute(EntitySharingDocument, { url: 'cs:~spock/public-thing' }, { token })).data?.entity?.url).toBe('cs:~spock/public-thing');
    const grant = await store.execute(GrantDocument, { input: { url: 'cs:~kirk/bar', principals: ['spock'] } }, { token });
    expect(grant.data?.grant).toEqual({ __typename: 'NotFoundError', message: 'No charm or bundle matches "cs:~kirk/bar" (or you may not see it)' });
    expect((await store.execute(GrantDocument, { input: { url: 'cs:~kirk/foo', principals: ['spock'] } }, { token })).data?.grant.__typename).toBe('GrantSuccess');
    // The audit log of an entity outside the token's limits stays closed, even to its owner.
    await store.execute(SetPrivateDocument, { input: { url: 'cs:~kirk/bar', private: false } }, { token: kirk });
    expect((await store.execute(EntityAuditEventsDocument, { url: 'cs:~kirk/bar', first: 5 }, { token })).data?.entity).toEqual({ url: 'cs:~kirk/bar', auditEvents: null });
    await store.execute(SetPrivateDocument, { input: { url: 'cs:~kirk/bar', private: true } }, { token: kirk });
  });

  it('never carries admin powers when scoped, and never more than its user', async () => {
    const { token } = await createToken(admin, { permissions: ['package-manage'] });
    const createUser = await store.execute(CreateUserDocument, { input: { username: 'mccoy', password: 'bones-password' } }, { token });
    expect(createUser.data?.createUser).toEqual({
      __typename: 'PermissionDeniedError',
      message: 'Only store administrators may create users, and only with a token without limits (from login, or createToken with none)',
    });
    expect((await store.execute(EntitySharingDocument, { url: 'cs:~spock/secret' }, { token })).data?.entity).toBeNull();
    // spock's unscoped token cannot touch kirk's entity either: tokens add no rights.
    const { token: spockToken } = await createToken(spock, {});
    expect((await store.execute(GrantDocument, { input: { url: 'cs:~kirk/foo', principals: ['spock'], acl: 'WRITE' } }, { token: spockToken })).data?.grant.__typename).toBe(
      'PermissionDeniedError',
    );
  });

  it('an expired token is refused with 401', async () => {
    const { token } = await createToken(kirk, { ttlSeconds: 60 });
    expect((await store.execute(ViewerDocument, {}, { token })).status).toBe(200);
    store.clock.advance(61_000);
    const result = await store.execute(ViewerDocument, {}, { token });
    expect(result.status).toBe(401);
    expect(result.errors?.[0]?.message).toBe('The bearer token has expired; sign in again with the login mutation');
  });
});

describe('listing and revoking', () => {
  it('lists live tokens newest first and revokes them by id; only your own', async () => {
    const user = await createUserAndLogin(store, admin, 'uhura');
    const first = await createToken(user, { description: 'first' });
    const second = await createToken(user, { description: 'second' });
    const listed = await store.execute(ViewerTokensDocument, {}, { token: user });
    expect(listed.data?.viewer?.tokens.edges.map((edge) => [edge.node.description, edge.node.current])).toEqual([
      ['second', false],
      ['first', false],
      ['login', true],
    ]);

    const notYours = await store.execute(RevokeTokenDocument, { input: { id: first.accessToken.id } }, { token: kirk });
    expect(notYours.data?.revokeToken).toEqual({ __typename: 'NotFoundError', message: `You have no token with id "${first.accessToken.id}"` });
    const fromScoped = await createToken(user, { permissions: ['package-view'] });
    const scopedRevoke = await store.execute(RevokeTokenDocument, { input: { id: first.accessToken.id } }, { token: fromScoped.token });
    expect(scopedRevoke.data?.revokeToken).toEqual({
      __typename: 'PermissionDeniedError',
      message: 'A scoped token may only revoke itself; use a token without limits (from login) to revoke others',
    });

    expect((await store.execute(RevokeTokenDocument, { input: { id: first.accessToken.id } }, { token: user })).data?.revokeToken).toEqual({
      __typename: 'RevokeTokenSuccess',
      id: first.accessToken.id,
    });
    expect((await store.execute(ViewerDocument, {}, { token: first.token })).status).toBe(401);
    expect((await store.execute(ViewerDocument, {}, { token: second.token })).status).toBe(200);
    const after = await store.execute(ViewerTokensDocument, {}, { token: user });
    expect(after.data?.viewer?.tokens.edges.map((edge) => edge.node.description)).toEqual([null, 'second', 'login']);
  });
});
