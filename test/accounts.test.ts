import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AddGroupMemberDocument,
  CreateGroupDocument,
  CreateUserDocument,
  LoginDocument,
  LogoutDocument,
  NodeByIdDocument,
  RemoveGroupMemberDocument,
  ViewerDocument,
} from './generated/graphql.js';
import { createUserAndLogin, login, loginAdmin } from './support/accounts.js';
import { ADMIN, createTestStore, type TestStore } from './support/store.js';

let store: TestStore;
let adminToken: string;

beforeAll(async () => {
  store = await createTestStore();
  adminToken = await loginAdmin(store);
});
afterAll(() => store.close());

describe('login and viewer', () => {
  it('signs in the bootstrapped admin and tells who they are', async () => {
    const result = await store.execute(LoginDocument, { input: ADMIN });
    expect(result.status).toBe(200);
    expect(result.data?.login).toMatchObject({
      __typename: 'LoginSuccess',
      viewer: { user: { username: 'admin', isAdmin: true }, permissions: [], expiresAt: '2026-01-31T00:00:00.000Z' },
    });
    if (result.data?.login.__typename !== 'LoginSuccess') throw new Error('unreachable');
    expect(result.data.login.token).toMatch(/^csk_[A-Za-z0-9_-]{43}$/);

    const viewer = await store.execute(ViewerDocument, {}, { token: result.data.login.token });
    expect(viewer.data?.viewer).toMatchObject({ user: { username: 'admin', isAdmin: true }, groups: [], permissions: [] });
  });

  it('stores only a hash of the token', async () => {
    const token = await loginAdmin(store);
    const rows = await store.database.db.prisma.token.findMany({ select: { secretHash: true } });
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((row) => /^[0-9a-f]{64}$/.test(row.secretHash) && row.secretHash !== token)).toBe(true);
  });

  it('answers null for an anonymous viewer', async () => {
    const result = await store.execute(ViewerDocument, {});
    expect(result).toEqual({ status: 200, data: { viewer: null } });
  });

  it('gives the same AuthenticationError for a wrong password and an unknown user', async () => {
    const wrongPassword = await store.execute(LoginDocument, { input: { username: 'admin', password: 'not-the-password' } });
    const unknownUser = await store.execute(LoginDocument, { input: { username: 'nobody', password: 'not-the-password' } });
    const expected = { __typename: 'AuthenticationError', message: 'Unknown username or wrong password' };
    expect(wrongPassword.data?.login).toEqual(expected);
    expect(unknownUser.data?.login).toEqual(expected);
  });

  it.each([
    ['a malformed header', 'Token abc', 'The Authorization header must be "Bearer <token>"'],
    ['a malformed token', 'Bearer abc', 'The bearer token is malformed; sign in again with the login mutation'],
    ['an unknown token', `Bearer csk_${'A'.repeat(43)}`, 'The bearer token is not known; sign in again with the login mutation'],
  ])('refuses %s with 401 instead of treating the caller as anonymous', async (_case, authorization, message) => {
    const result = await store.execute(ViewerDocument, {}, { authorization });
    expect(result.status).toBe(401);
    expect(result.data ?? null).toBeNull();
    expect(result.errors).toEqual([{ message, extensions: { code: 'AUTHENTICATION_ERROR' } }]);
  });

  it('refuses an expired token with 401', async () => {
    const token = await loginAdmin(store);
    store.clock.advance(31 * 24 * 3600 * 1000);
    try {
      const result = await store.execute(ViewerDocument, {}, { token });
      expect(result.status).toBe(401);
      expect(result.errors?.[0]?.message).toBe('The bearer token has expired; sign in again with the login mutation');
    } finally {
      store.clock.advance(-31 * 24 * 3600 * 1000);
    }
  });
});

describe('logout', () => {
  it('revokes the token in use, and only that one', async () => {
    const first = await loginAdmin(store);
    const second = await loginAdmin(store);
    const result = await store.execute(LogoutDocument, { input: {} }, { token: first });
    expect(result.data?.logout).toEqual({ __typename: 'LogoutSuccess', revoked: true, count: 1 });
    const revoked = await store.execute(ViewerDocument, {}, { token: first });
    expect(revoked.status).toBe(401);
    expect(revoked.errors?.[0]?.message).toBe('The bearer token was revoked; sign in again with the login mutation');
    const stillValid = await store.execute(ViewerDocument, {}, { token: second });
    expect(stillValid.data?.viewer?.user.username).toBe('admin');
  });

  it('revokes every token of the user with all: true', async () => {
    const token = await createUserAndLogin(store, adminToken, 'leaver');
    const other = await login(store, 'leaver', 'leaver-password');
    const result = await store.execute(LogoutDocument, { input: { all: true } }, { token });
    expect(result.data?.logout).toEqual({ __typename: 'LogoutSuccess', revoked: true, count: 2 });
    expect((await store.execute(ViewerDocument, {}, { token: other })).status).toBe(401);
    // The admin's own tokens are untouched.
    expect((await store.execute(ViewerDocument, {}, { token: adminToken })).status).toBe(200);
  });

  it('needs a signed-in user', async () => {
    const result = await store.execute(LogoutDocument, { input: {} });
    expect(result.data?.logout).toEqual({
      __typename: 'AuthenticationError',
      message: 'Sign in first: this operation needs a bearer token from the login mutation',
    });
  });
});

describe('createUser', () => {
  it('creates a user who can then sign in', async () => {
    const result = await store.execute(
      CreateUserDocument,
      { input: { username: 'kirk', password: 'enterprise-1701', displayName: 'James T. Kirk' } },
      { token: adminToken },
    );
    expect(result.data?.createUser).toMatchObject({
      __typename: 'CreateUserSuccess',
      user: { username: 'kirk', displayName: 'James T. Kirk', isAdmin: false },
    });
    const token = await login(store, 'kirk', 'enterprise-1701');
    const viewer = await store.execute(ViewerDocument, {}, { token });
    expect(viewer.data?.viewer?.user).toMatchObject({ username: 'kirk', isAdmin: false });
  });

  it('is for admins only', async () => {
    const token = await createUserAndLogin(store, adminToken, 'spock');
    const denied = await store.execute(CreateUserDocument, { input: { username: 'mccoy', password: 'bones-bones' } }, { token });
    expect(denied.data?.createUser).toEqual({ __typename: 'PermissionDeniedError', message: 'Only store administrators may create users' });
    const anonymous = await store.execute(CreateUserDocument, { input: { username: 'mccoy', password: 'bones-bones' } });
    expect(anonymous.data?.createUser.__typename).toBe('AuthenticationError');
    expect(await store.database.db.prisma.user.count({ where: { username: 'mccoy' } })).toBe(0);
  });

  it.each([
    ['-kirk', 'username'],
    ['kirk-', 'username'],
    ['a', 'username'],
    ['ki rk', 'username'],
    ['kirk/x', 'username'],
  ])('refuses the malformed name %j', async (username, field) => {
    const result = await store.execute(CreateUserDocument, { input: { username, password: 'long-enough' } }, { token: adminToken });
    expect(result.data?.createUser).toMatchObject({ __typename: 'ValidationError', field });
    if (result.data?.createUser.__typename !== 'ValidationError') throw new Error('unreachable');
    expect(result.data.createUser.message).toContain(`"${username}" is not a valid user name`);
  });

  it('keeps "everyone" reserved, in any case', async () => {
    for (const username of ['everyone', 'Everyone']) {
      const result = await store.execute(CreateUserDocument, { input: { username, password: 'long-enough' } }, { token: adminToken });
      expect(result.data?.createUser).toEqual({
        __typename: 'ValidationError',
        field: 'username',
        message: '"everyone" is reserved for every caller and cannot be a user name',
      });
    }
  });

  it('refuses a short password', async () => {
    const result = await store.execute(CreateUserDocument, { input: { username: 'sulu', password: 'short' } }, { token: adminToken });
    expect(result.data?.createUser).toEqual({
      __typename: 'ValidationError',
      field: 'password',
      message: 'A password needs 8 to 1024 characters',
    });
  });

  it('refuses a taken name, including a group name', async () => {
    await store.execute(CreateGroupDocument, { input: { name: 'starfleet' } }, { token: adminToken });
    for (const username of ['kirk', 'starfleet']) {
      const result = await store.execute(CreateUserDocument, { input: { username, password: 'long-enough' } }, { token: adminToken });
      expect(result.data?.createUser).toEqual({
        __typename: 'ConflictError',
        message: `The name "${username}" is already taken by a user or group`,
      });
    }
  });
});

describe('groups', () => {
  it('creates groups (admins only) and validates their names', async () => {
    const created = await store.execute(CreateGroupDocument, { input: { name: 'charm-examples' } }, { token: adminToken });
    expect(created.data?.createGroup).toMatchObject({ __typename: 'CreateGroupSuccess', group: { name: 'charm-examples', members: [] } });

    const userToken = await createUserAndLogin(store, adminToken, 'uhura');
    const denied = await store.execute(CreateGroupDocument, { input: { name: 'comms' } }, { token: userToken });
    expect(denied.data?.createGroup).toEqual({ __typename: 'PermissionDeniedError', message: 'Only store administrators may create groups' });

    const reserved = await store.execute(CreateGroupDocument, { input: { name: 'everyone' } }, { token: adminToken });
    expect(reserved.data?.createGroup).toMatchObject({ __typename: 'ValidationError', field: 'name' });
    const taken = await store.execute(CreateGroupDocument, { input: { name: 'uhura' } }, { token: adminToken });
    expect(taken.data?.createGroup.__typename).toBe('ConflictError');
  });

  it('applies membership changes on the very next request', async () => {
    await store.execute(CreateGroupDocument, { input: { name: 'bridge' } }, { token: adminToken });
    const token = await createUserAndLogin(store, adminToken, 'chekov');
    expect((await store.execute(ViewerDocument, {}, { token })).data?.viewer?.groups).toEqual([]);

    const added = await store.execute(AddGroupMemberDocument, { input: { group: 'bridge', username: 'chekov' } }, { token: adminToken });
    expect(added.data?.addGroupMember).toEqual({
      __typename: 'AddGroupMemberSuccess',
      group: { name: 'bridge', members: [{ username: 'chekov' }] },
    });
    const afterAdd = await store.execute(ViewerDocument, {}, { token });
    expect(afterAdd.data?.viewer?.groups).toEqual([{ name: 'bridge' }]);
    expect(afterAdd.data?.viewer?.user.groups).toEqual([{ name: 'bridge' }]);

    const removed = await store.execute(RemoveGroupMemberDocument, { input: { group: 'bridge', username: 'chekov' } }, { token: adminToken });
    expect(removed.data?.removeGroupMember).toEqual({ __typename: 'RemoveGroupMemberSuccess', group: { name: 'bridge', members: [] } });
    expect((await store.execute(ViewerDocument, {}, { token })).data?.viewer?.groups).toEqual([]);
  });

  it('reports unknown groups and users, and refuses non-admins', async () => {
    const unknownGroup = await store.execute(AddGroupMemberDocument, { input: { group: 'nope', username: 'kirk' } }, { token: adminToken });
    expect(unknownGroup.data?.addGroupMember).toEqual({ __typename: 'NotFoundError', message: 'No group is called "nope"' });
    const unknownUser = await store.execute(AddGroupMemberDocument, { input: { group: 'bridge', username: 'nobody' } }, { token: adminToken });
    expect(unknownUser.data?.addGroupMember).toEqual({ __typename: 'NotFoundError', message: 'No user is called "nobody"' });
    const token = await login(store, 'kirk', 'enterprise-1701');
    const denied = await store.execute(AddGroupMemberDocument, { input: { group: 'bridge', username: 'kirk' } }, { token });
    expect(denied.data?.addGroupMember).toEqual({
      __typename: 'PermissionDeniedError',
      message: 'Only store administrators and admins of group "bridge" may change its members',
    });
  });
});

describe('group admins', () => {
  it('may manage the members of their own group, and only of it', async () => {
    await store.execute(CreateGroupDocument, { input: { name: 'engineering' } }, { token: adminToken });
    await store.execute(CreateGroupDocument, { input: { name: 'medical' } }, { token: adminToken });
    const scottyToken = await createUserAndLogin(store, adminToken, 'scotty');
    await createUserAndLogin(store, adminToken, 'kyle');
    const promoted = await store.execute(
      AddGroupMemberDocument,
      { input: { group: 'engineering', username: 'scotty', isAdmin: true } },
      { token: adminToken },
    );
    expect(promoted.data?.addGroupMember.__typename).toBe('AddGroupMemberSuccess');

    const added = await store.execute(AddGroupMemberDocument, { input: { group: 'engineering', username: 'kyle' } }, { token: scottyToken });
    expect(added.data?.addGroupMember).toEqual({
      __typename: 'AddGroupMemberSuccess',
      group: { name: 'engineering', members: [{ username: 'kyle' }, { username: 'scotty' }] },
    });
    const elsewhere = await store.execute(AddGroupMemberDocument, { input: { group: 'medical', username: 'kyle' } }, { token: scottyToken });
    expect(elsewhere.data?.addGroupMember).toEqual({
      __typename: 'PermissionDeniedError',
      message: 'Only store administrators and admins of group "medical" may change its members',
    });

    // Demoting applies to the very next request.
    await store.execute(AddGroupMemberDocument, { input: { group: 'engineering', username: 'scotty', isAdmin: false } }, { token: adminToken });
    const demoted = await store.execute(RemoveGroupMemberDocument, { input: { group: 'engineering', username: 'kyle' } }, { token: scottyToken });
    expect(demoted.data?.removeGroupMember.__typename).toBe('PermissionDeniedError');
  });
});

describe('node', () => {
  it('looks users and groups up by global id', async () => {
    const viewer = await store.execute(ViewerDocument, {}, { token: adminToken });
    const id = viewer.data?.viewer?.user.id;
    expect(id).toBeTypeOf('string');
    const result = await store.execute(NodeByIdDocument, { id: id! });
    expect(result.data?.node).toEqual({ __typename: 'User', id, username: 'admin' });
  });
});
