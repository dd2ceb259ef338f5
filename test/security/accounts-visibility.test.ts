import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecurityUserNodeDocument, SecurityViewerIdsDocument } from '../generated/graphql.js';
import { createUserAndLogin, loginAdmin } from '../support/accounts.js';
import { createGroupWith } from '../support/sharing.js';
import { createTestStore, type TestStore } from '../support/store.js';

/**
 * Issue 9, item 7: `node(id)` with sequential `User:N` / `Group:N` ids gave
 * anybody every username with its admin flag and groups, and every group's
 * members. Usernames and display names stay public (they are namespaces);
 * the admin flag and memberships are for the user and admins, a group's
 * members for its members and admins.
 */
let store: TestStore;
const tokens: Record<string, string> = {};
const ids: Record<string, string> = {};

function globalId(typename: string, number: number): string {
  return Buffer.from(`${typename}:${number}`).toString('base64');
}

async function node(id: string, token?: string) {
  const result = await store.execute(SecurityUserNodeDocument, { id }, { token });
  expect(result.errors).toBeUndefined();
  return result.data!.node;
}

beforeAll(async () => {
  store = await createTestStore();
  tokens.admin = await loginAdmin(store);
  for (const name of ['kirk', 'spock', 'stranger']) tokens[name] = await createUserAndLogin(store, tokens.admin, name);
  await createGroupWith(store, tokens.admin, 'crew', ['kirk', 'spock']);
  await createGroupWith(store, tokens.admin, 'bridge', ['kirk']);
  for (const name of ['admin', 'kirk', 'spock']) {
    const viewer = (await store.execute(SecurityViewerIdsDocument, {}, { token: tokens[name] })).data!.viewer!;
    ids[name] = viewer.user.id;
    for (const group of viewer.user.groups) ids[group.name] = group.id;
  }
});
afterAll(() => store.close());

describe('accounts through node(id)', () => {
  it.each([['anonymous'], ['stranger']])('%s sees usernames but no admin flag, memberships or members', async (who) => {
    const token = tokens[who];
    expect(await node(ids.admin!, token)).toEqual({ __typename: 'User', username: 'admin', displayName: null, isAdmin: null, groups: [] });
    expect(await node(ids.kirk!, token)).toMatchObject({ username: 'kirk', isAdmin: null, groups: [] });
    expect(await node(ids.crew!, token)).toEqual({ __typename: 'Group', name: 'crew', members: [] });
  });

  it('walking the sequential ids as anonymous finds no admin flag and no membership', async () => {
    const found: unknown[] = [];
    for (let number = 1; number <= 8; number++) {
      for (const typename of ['User', 'Group']) {
        const value = await node(globalId(typename, number));
        if (value) found.push(value);
      }
    }
    expect(found.length).toBeGreaterThanOrEqual(6);
    for (const value of found as Array<Record<string, unknown>>) {
      if (value.__typename === 'User') expect(value).toMatchObject({ isAdmin: null, groups: [] });
      else expect(value).toMatchObject({ members: [] });
    }
  });

  it('a user sees their own admin flag and every group of theirs', async () => {
    expect(await node(ids.kirk!, tokens.kirk)).toMatchObject({ isAdmin: false, groups: [{ name: 'bridge' }, { name: 'crew' }] });
  });

  it("a group's members see its members, and each other's memberships only in the groups they share", async () => {
    expect(await node(ids.crew!, tokens.spock)).toMatchObject({ members: [{ username: 'kirk' }, { username: 'spock' }] });
    expect(await node(ids.bridge!, tokens.spock)).toMatchObject({ name: 'bridge', members: [] });
    expect(await node(ids.kirk!, tokens.spock)).toMatchObject({ isAdmin: null, groups: [{ name: 'crew' }] });
  });

  it('admins see everything', async () => {
    expect(await node(ids.admin!, tokens.admin)).toMatchObject({ isAdmin: true });
    expect(await node(ids.kirk!, tokens.admin)).toMatchObject({ isAdmin: false, groups: [{ name: 'bridge' }, { name: 'crew' }] });
    expect(await node(ids.bridge!, tokens.admin)).toMatchObject({ members: [{ username: 'kirk' }] });
  });
});
