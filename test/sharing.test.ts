import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AddGroupMemberDocument,
  EntityAuditEventsDocument,
  EntityNodeDocument,
  EntitySharingDocument,
  GrantDocument,
  RemoveGroupMemberDocument,
  RevokeDocument,
  SetAclDocument,
  SetPrivateDocument,
} from './generated/graphql.js';
import { createUserAndLogin, loginAdmin } from './support/accounts.js';
import { createGroupWith, initialAcl, registerEntity } from './support/sharing.js';
import { createTestStore, type TestStore } from './support/store.js';

let store: TestStore;
let admin: string;
let kirk: string;
let james: string;
let lars: string;
let spock: string;

beforeAll(async () => {
  store = await createTestStore();
  admin = await loginAdmin(store);
  kirk = await createUserAndLogin(store, admin, 'kirk');
  james = await createUserAndLogin(store, admin, 'james');
  lars = await createUserAndLogin(store, admin, 'lars');
  spock = await createUserAndLogin(store, admin, 'spock');
});
afterAll(() => store.close());

const notFound = (url: string) => ({ __typename: 'NotFoundError', message: `No charm or bundle matches "${url}" (or you may not see it)` });

async function sharing(url: string, token?: string) {
  const result = await store.execute(EntitySharingDocument, { url }, { token });
  expect(result.errors).toBeUndefined();
  return result.data?.entity ?? null;
}

describe('a new entity', () => {
  it('is private, with its owner alone on every list, and invisible to everybody else', async () => {
    const entity = await registerEntity(store, kirk, 'fresh');
    expect(entity).toMatchObject({ url: 'cs:~kirk/fresh', owner: 'kirk', private: true, promulgated: false });
    expect((await sharing('cs:~kirk/fresh', kirk))?.acl).toEqual(initialAcl('kirk'));
    expect(await sharing('cs:~kirk/fresh', james)).toBeNull();
    expect(await sharing('cs:~kirk/fresh')).toBeNull();
    const node = await store.execute(EntityNodeDocument, { id: entity.id }, { token: james });
    expect(node.data).toEqual({ node: null });
    expect((await store.execute(EntityNodeDocument, { id: entity.id }, { token: kirk })).data?.node).toEqual({ __typename: 'Entity', id: entity.id, url: 'cs:~kirk/fresh' });
  });
});

describe('the seed\'s grant examples', () => {
  beforeAll(async () => {
    await registerEntity(store, kirk, 'foo');
  });

  it('`charm grant cs:~kirk/foo james` gives james read on stable', async () => {
    const granted = await store.execute(GrantDocument, { input: { url: 'cs:~kirk/foo', principals: ['james'] } }, { token: kirk });
    expect(granted.data?.grant).toEqual({
      __typename: 'GrantSuccess',
      entity: {
        url: 'cs:~kirk/foo',
        acl: [
          { channel: 'unpublished', read: ['kirk'], write: ['kirk'] },
          { channel: 'stable', read: ['james', 'kirk'], write: ['kirk'] },
          { channel: 'candidate', read: ['kirk'], write: ['kirk'] },
          { channel: 'beta', read: ['kirk'], write: ['kirk'] },
          { channel: 'edge', read: ['kirk'], write: ['kirk'] },
        ],
      },
    });
    // james now sees the entity, and of the lists only what concerns him.
    expect(await sharing('cs:~kirk/foo', james)).toMatchObject({ url: 'cs:~kirk/foo', acl: [{ channel: 'stable', read: ['james'], write: [] }] });
    expect(await sharing('cs:~kirk/foo', lars)).toBeNull();
  });

  it('`charm grant cs:~kirk/foo --channel edge --acl write lars` makes lars a writer, who sees the lists in full', async () => {
    const granted = await store.execute(GrantDocument, { input: { url: 'cs:~kirk/foo', channel: 'edge', acl: 'WRITE', principals: ['lars'] } }, { token: kirk });
    expect(granted.data?.grant.__typename).toBe('GrantSuccess');
    const seenByLars = await sharing('cs:~kirk/foo', lars);
    expect(seenByLars?.acl).toEqual([
      { channel: 'unpublished', read: ['kirk'], write: ['kirk'] },
      { channel: 'stable', read: ['james', 'kirk'], write: ['kirk'] },
      { channel: 'candidate', read: ['kirk'], write: ['kirk'] },
      { channel: 'beta', read: ['kirk'], write: ['kirk'] },
      { channel: 'edge', read: ['kirk'], write: ['kirk', 'lars'] },
    ]);
  });

  it('`charm grant cs:~kirk/foo everyone` makes stable readable by all, anonymous callers included', async () => {
    const granted = await store.execute(GrantDocument, { input: { url: 'cs:~kirk/foo', principals: ['everyone'] } }, { token: kirk });
    expect(granted.data?.grant.__typename).toBe('GrantSuccess');
    expect(await sharing('cs:~kirk/foo')).toMatchObject({ url: 'cs:~kirk/foo', private: true, acl: [{ channel: 'stable', read: ['everyone'], write: [] }] });
    expect(await sharing('cs:~kirk/foo', spock)).toMatchObject({ acl: [{ channel: 'stable', read: ['everyone'], write: [] }] });
    expect((await sharing('cs:~kirk/foo', james))?.acl).toEqual([{ channel: 'stable', read: ['everyone', 'james'], write: [] }]);
  });

  it('grants several principals at once, and granting again changes nothing', async () => {
    await registerEntity(store, kirk, 'multi');
    const input = { url: 'cs:~kirk/multi', channel: 'beta', principals: ['james', 'lars', 'james'] };
    expect((await store.execute(GrantDocument, { input }, { token: kirk })).data?.grant.__typename).toBe('GrantSuccess');
    const again = await store.execute(GrantDocument, { input }, { token: kirk });
    if (again.data?.grant.__typename !== 'GrantSuccess') throw new Error(JSON.stringify(again));
    expect(again.data.grant.entity.acl.find((list) => list.channel === 'beta')).toEqual({ channel: 'beta', read: ['james', 'kirk', 'lars'], write: ['kirk'] });
  });

  it('narrows a grant to one track with track/risk, once the track exists', async () => {
    const result = await store.execute(GrantDocument, { input: { url: 'cs:~kirk/foo', channel: '1.2/edge', principals: ['spock'] } }, { token: kirk });
    expect(result.data?.grant).toEqual({
      __typename: 'ValidationError',
      field: 'channel',
      message: 'cs:~kirk/foo has no track "1.2"; create it first (createTrack) or grant on a risk of every track',
    });
    const latest = await store.execute(GrantDocument, { input: { url: 'cs:~kirk/foo', channel: 'latest/rc', principals: ['spock'] } }, { token: kirk });
    if (latest.data?.grant.__typename !== 'GrantSuccess') throw new Error(JSON.stringify(latest));
    expect(latest.data.grant.entity.acl.at(-1)).toEqual({ channel: 'latest/candidate', read: ['spock'], write: [] });
    // A track-narrowed list disappears with its last principal; it is not one of the entity's own lists.
    const revoked = await store.execute(RevokeDocument, { input: { url: 'cs:~kirk/foo', channel: 'latest/candidate', principals: ['spock'] } }, { token: kirk });
    if (revoked.data?.revoke.__typename !== 'RevokeSuccess') throw new Error(JSON.stringify(revoked));
    expect(revoked.data.revoke.entity.acl.map((list) => list.channel)).toEqual(['unpublished', 'stable', 'candidate', 'beta', 'edge']);
  });
});

describe('refused changes change nothing', () => {
  beforeAll(async () => {
    await registerEntity(store, kirk, 'guarded');
  });

  it('names every unknown principal', async () => {
    const result = await store.execute(GrantDocument, { input: { url: 'cs:~kirk/guarded', principals: ['james', 'nobody', 'ghost'] } }, { token: kirk });
    expect(result.data?.grant).toEqual({
      __typename: 'ValidationError',
      field: 'principals',
      message: '"nobody", "ghost" are neither a user nor a group; principals are usernames, group names, or "everyone"',
    });
    expect((await sharing('cs:~kirk/guarded', kirk))?.acl).toEqual(initialAcl('kirk'));
  });

  it('refuses an empty principal list and a bad channel', async () => {
    const empty = await store.execute(GrantDocument, { input: { url: 'cs:~kirk/guarded', principals: [] } }, { token: kirk });
    expect(empty.data?.grant).toEqual({ __typename: 'ValidationError', field: 'principals', message: 'Name at least one principal: a username, a group name, or "everyone"' });
    const badChannel = await store.execute(GrantDocument, { input: { url: 'cs:~kirk/guarded', channel: 'stable/x/y', principals: ['james'] } }, { token: kirk });
    expect(badChannel.data?.grant).toEqual({
      __typename: 'ValidationError',
      field: 'channel',
      message: '"stable/x/y" is not a valid ACL channel: use "unpublished", a risk (stable, candidate or rc, beta, edge) or track/risk such as "1.2/edge"',
    });
  });

  it('never lets a list become empty: revoke and setAcl', async () => {
    const revokeOwner = await store.execute(RevokeDocument, { input: { url: 'cs:~kirk/guarded', principals: ['kirk'] } }, { token: kirk });
    expect(revokeOwner.data?.revoke).toEqual({
      __typename: 'ValidationError',
      field: 'principals',
      message: 'This would leave the read list of "stable" empty; every list keeps at least one principal (grant someone else first)',
    });
    const emptyList = await store.execute(SetAclDocument, { input: { url: 'cs:~kirk/guarded', channel: 'edge', acl: 'WRITE', principals: [] } }, { token: kirk });
    expect(emptyList.data?.setAcl).toEqual({ __typename: 'ValidationError', field: 'principals', message: 'Name at least one principal: a username, a group name, or "everyone"' });
    expect((await sharing('cs:~kirk/guarded', kirk))?.acl).toEqual(initialAcl('kirk'));
  });

  it('lets only owners and admins change sharing; others cannot even tell it exists', async () => {
    await store.execute(GrantDocument, { input: { url: 'cs:~kirk/guarded', principals: ['james'] } }, { token: kirk });
    const byReader = await store.execute(GrantDocument, { input: { url: 'cs:~kirk/guarded', principals: ['james'], acl: 'WRITE' } }, { token: james });
    expect(byReader.data?.grant).toEqual({
      __typename: 'PermissionDeniedError',
      message: 'Only the owners of cs:~kirk/guarded and store administrators may change its sharing',
    });
    const byStranger = await store.execute(GrantDocument, { input: { url: 'cs:~kirk/guarded', principals: ['lars'] } }, { token: lars });
    const missing = await store.execute(GrantDocument, { input: { url: 'cs:~kirk/missing', principals: ['lars'] } }, { token: lars });
    expect(byStranger.data?.grant).toEqual(notFound('cs:~kirk/guarded'));
    expect(missing.data?.grant).toEqual(notFound('cs:~kirk/missing'));
    const anonymous = await store.execute(SetPrivateDocument, { input: { url: 'cs:~kirk/guarded', private: false } });
    expect(anonymous.data?.setPrivate).toEqual({ __typename: 'AuthenticationError', message: 'Sign in first: this operation needs a bearer token from the login mutation' });
    const byAdmin = await store.execute(RevokeDocument, { input: { url: 'cs:~kirk/guarded', principals: ['james'] } }, { token: admin });
    expect(byAdmin.data?.revoke.__typename).toBe('RevokeSuccess');
    expect(await sharing('cs:~kirk/guarded', james)).toBeNull();
  });
});

describe('revoke and setAcl', () => {
  it('revoke without acl removes from both lists; with acl from that one only', async () => {
    await registerEntity(store, kirk, 'both');
    await store.execute(GrantDocument, { input: { url: 'cs:~kirk/both', channel: 'edge', principals: ['james', 'lars'] } }, { token: kirk });
    await store.execute(GrantDocument, { input: { url: 'cs:~kirk/both', channel: 'edge', acl: 'WRITE', principals: ['james', 'lars'] } }, { token: kirk });
    const onlyWrite = await store.execute(RevokeDocument, { input: { url: 'cs:~kirk/both', channel: 'edge', acl: 'WRITE', principals: ['lars'] } }, { token: kirk });
    if (onlyWrite.data?.revoke.__typename !== 'RevokeSuccess') throw new Error(JSON.stringify(onlyWrite));
    expect(onlyWrite.data.revoke.entity.acl.find((list) => list.channel === 'edge')).toEqual({ channel: 'edge', read: ['james', 'kirk', 'lars'], write: ['james', 'kirk'] });
    const both = await store.execute(RevokeDocument, { input: { url: 'cs:~kirk/both', channel: 'edge', principals: ['james'] } }, { token: kirk });
    if (both.data?.revoke.__typename !== 'RevokeSuccess') throw new Error(JSON.stringify(both));
    expect(both.data.revoke.entity.acl.find((list) => list.channel === 'edge')).toEqual({ channel: 'edge', read: ['kirk', 'lars'], write: ['kirk'] });
  });

  it('setAcl replaces a list (the owner may hand a list to others entirely)', async () => {
    await registerEntity(store, kirk, 'replaced');
    const result = await store.execute(SetAclDocument, { input: { url: 'cs:~kirk/replaced', channel: 'rc', acl: 'READ', principals: ['james', 'everyone'] } }, { token: kirk });
    if (result.data?.setAcl.__typename !== 'SetAclSuccess') throw new Error(JSON.stringify(result));
    expect(result.data.setAcl.entity.acl.find((list) => list.channel === 'candidate')).toEqual({ channel: 'candidate', read: ['everyone', 'james'], write: ['kirk'] });
    // The owner stays an owner: off the lists, kirk still manages the entity.
    const again = await store.execute(SetAclDocument, { input: { url: 'cs:~kirk/replaced', channel: 'candidate', acl: 'READ', principals: ['lars'] } }, { token: kirk });
    if (again.data?.setAcl.__typename !== 'SetAclSuccess') throw new Error(JSON.stringify(again));
    expect(again.data.setAcl.entity.acl.find((list) => list.channel === 'candidate')).toEqual({ channel: 'candidate', read: ['lars'], write: ['kirk'] });
  });

  it('serializes concurrent revokes so that a list never ends up empty', async () => {
    await registerEntity(store, kirk, 'racy');
    await store.execute(GrantDocument, { input: { url: 'cs:~kirk/racy', channel: 'beta', principals: ['james', 'lars'] } }, { token: kirk });
    await store.execute(SetAclDocument, { input: { url: 'cs:~kirk/racy', channel: 'beta', acl: 'READ', principals: ['james', 'lars'] } }, { token: kirk });
    const results = await Promise.all(
      ['james', 'lars'].map((principal) => store.execute(RevokeDocument, { input: { url: 'cs:~kirk/racy', channel: 'beta', acl: 'READ', principals: [principal] } }, { token: kirk })),
    );
    expect(results.map((result) => result.data?.revoke.__typename).sort()).toEqual(['RevokeSuccess', 'ValidationError']);
    expect((await sharing('cs:~kirk/racy', kirk))?.acl.find((list) => list.channel === 'beta')?.read).toHaveLength(1);
  });
});

describe('groups', () => {
  it('a grant to a group reaches a new member on their next request, and leaves with them', async () => {
    await createGroupWith(store, admin, 'crew', []);
    await registerEntity(store, kirk, 'groupie');
    await store.execute(GrantDocument, { input: { url: 'cs:~kirk/groupie', principals: ['crew'] } }, { token: kirk });
    expect(await sharing('cs:~kirk/groupie', spock)).toBeNull();

    await store.execute(AddGroupMemberDocument, { input: { group: 'crew', username: 'spock' } }, { token: admin });
    expect(await sharing('cs:~kirk/groupie', spock)).toMatchObject({ url: 'cs:~kirk/groupie', acl: [{ channel: 'stable', read: ['crew'], write: [] }] });

    await store.execute(RemoveGroupMemberDocument, { input: { group: 'crew', username: 'spock' } }, { token: admin });
    expect(await sharing('cs:~kirk/groupie', spock)).toBeNull();
  });

  it('members of an owning group are owners: they manage its entities', async () => {
    await createGroupWith(store, admin, 'bridge', ['kirk', 'james']);
    await registerEntity(store, kirk, 'shipwide', { owner: 'bridge' });
    expect((await sharing('cs:~bridge/shipwide', james))?.acl).toEqual(initialAcl('bridge'));
    const granted = await store.execute(GrantDocument, { input: { url: 'cs:~bridge/shipwide', principals: ['lars'] } }, { token: james });
    expect(granted.data?.grant.__typename).toBe('GrantSuccess');
    expect(await sharing('cs:~bridge/shipwide', spock)).toBeNull();
  });
});

describe('setPrivate', () => {
  it('public lets everyone see the entity; private again takes it away but keeps the grants', async () => {
    await registerEntity(store, kirk, 'open');
    await store.execute(GrantDocument, { input: { url: 'cs:~kirk/open', principals: ['james'] } }, { token: kirk });
    const opened = await store.execute(SetPrivateDocument, { input: { url: 'cs:~kirk/open', private: false } }, { token: kirk });
    expect(opened.data?.setPrivate).toEqual({ __typename: 'SetPrivateSuccess', entity: { url: 'cs:~kirk/open', private: false } });
    expect(await sharing('cs:~kirk/open')).toMatchObject({ url: 'cs:~kirk/open', private: false, acl: [] });
    expect(await sharing('cs:~kirk/open', lars)).toMatchObject({ url: 'cs:~kirk/open', acl: [] });

    const closed = await store.execute(SetPrivateDocument, { input: { url: 'cs:~kirk/open', private: true } }, { token: kirk });
    expect(closed.data?.setPrivate).toEqual({ __typename: 'SetPrivateSuccess', entity: { url: 'cs:~kirk/open', private: true } });
    expect(await sharing('cs:~kirk/open')).toBeNull();
    expect(await sharing('cs:~kirk/open', lars)).toBeNull();
    expect(await sharing('cs:~kirk/open', james)).toMatchObject({ acl: [{ channel: 'stable', read: ['james'], write: [] }] });
  });
});

describe('audit log', () => {
  it('records every sharing change with before and after, newest first, for owners and admins only', async () => {
    await registerEntity(store, kirk, 'audited');
    await store.execute(GrantDocument, { input: { url: 'cs:~kirk/audited', principals: ['james'] } }, { token: kirk });
    await store.execute(RevokeDocument, { input: { url: 'cs:~kirk/audited', channel: 'edge', acl: 'WRITE', principals: ['kirk'] } }, { token: kirk });
    await store.execute(SetPrivateDocument, { input: { url: 'cs:~kirk/audited', private: false } }, { token: admin });
    await store.execute(SetAclDocument, { input: { url: 'cs:~kirk/audited', channel: 'unpublished', acl: 'READ', principals: ['lars', 'kirk'] } }, { token: kirk });

    const log = await store.execute(EntityAuditEventsDocument, { url: 'cs:~kirk/audited', first: 10 }, { token: kirk });
    const events = log.data?.entity?.auditEvents?.edges.map((edge) => edge.node);
    const at = store.clock.now.toISOString();
    const entity = { url: 'cs:~kirk/audited' };
    expect(events).toEqual([
      {
        action: 'set-acl',
        actor: 'kirk',
        target: 'cs:~kirk/audited',
        before: { channel: 'unpublished', acl: 'READ', principals: ['kirk'] },
        after: { channel: 'unpublished', acl: 'READ', principals: ['kirk', 'lars'] },
        createdAt: at,
        url: 'cs:~kirk/audited',
        entity,
      },
      { action: 'set-private', actor: 'admin', target: 'cs:~kirk/audited', before: { private: true }, after: { private: false }, createdAt: at, url: 'cs:~kirk/audited', entity },
      // Revoking kirk from a list he is alone on is refused, so it leaves no event.
      {
        action: 'grant',
        actor: 'kirk',
        target: 'cs:~kirk/audited',
        before: { channel: 'stable', acl: 'READ', principals: ['kirk'] },
        after: { channel: 'stable', acl: 'READ', principals: ['james', 'kirk'] },
        createdAt: at,
        url: 'cs:~kirk/audited',
        entity,
      },
      { action: 'register-name', actor: 'kirk', target: 'audited', before: null, after: { url: 'cs:~kirk/audited', kind: 'CHARM', private: true }, createdAt: at, url: 'cs:~kirk/audited', entity },
    ]);

    const page = await store.execute(EntityAuditEventsDocument, { url: 'cs:~kirk/audited', first: 1 }, { token: admin });
    expect(page.data?.entity?.auditEvents?.edges.map((edge) => edge.node.action)).toEqual(['set-acl']);
    expect(page.data?.entity?.auditEvents?.pageInfo.hasNextPage).toBe(true);

    // james may see the (now public) entity, but not its audit log.
    const asReader = await store.execute(EntityAuditEventsDocument, { url: 'cs:~kirk/audited', first: 10 }, { token: james });
    expect(asReader.data?.entity).toEqual({ url: 'cs:~kirk/audited', auditEvents: null });
  });
});

describe('node(id)', () => {
  it('obeys sharing: visible after a grant, gone after the revoke', async () => {
    const entity = await registerEntity(store, kirk, 'noded');
    expect((await store.execute(EntityNodeDocument, { id: entity.id }, { token: lars })).data?.node).toBeNull();
    await store.execute(GrantDocument, { input: { url: 'cs:~kirk/noded', principals: ['lars'], channel: 'unpublished' } }, { token: kirk });
    expect((await store.execute(EntityNodeDocument, { id: entity.id }, { token: lars })).data?.node).toEqual({ __typename: 'Entity', id: entity.id, url: 'cs:~kirk/noded' });
    await store.execute(RevokeDocument, { input: { url: 'cs:~kirk/noded', principals: ['lars'], channel: 'unpublished' } }, { token: kirk });
    expect((await store.execute(EntityNodeDocument, { id: entity.id }, { token: lars })).data?.node).toBeNull();
  });
});
