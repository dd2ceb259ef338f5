import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AuditEventsDocument,
  CreateTokenDocument,
  EntitySharingDocument,
  PromulgateDocument,
  RegisterNameDocument,
  ReserveNameDocument,
  UnregisterNameDocument,
  UnreserveNameDocument,
} from './generated/graphql.js';
import { createUserAndLogin, loginAdmin } from './support/accounts.js';
import { createGroupWith, registerEntity } from './support/sharing.js';
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
  await createGroupWith(store, admin, 'vulcans', ['spock']);
});
afterAll(() => store.close());

async function entityAt(url: string, token?: string) {
  return (await store.execute(EntitySharingDocument, { url }, { token })).data?.entity ?? null;
}

describe('registerName', () => {
  it('claims the name and creates ~owner/name, which foo and cs:foo then resolve to', async () => {
    const result = await store.execute(RegisterNameDocument, { input: { name: 'wiki-scaler' } }, { token: kirk });
    expect(result.data?.registerName).toMatchObject({
      __typename: 'RegisterNameSuccess',
      entity: { url: 'cs:~kirk/wiki-scaler', owner: 'kirk', kind: 'CHARM', private: true, promulgated: false },
    });
    expect(await entityAt('wiki-scaler', kirk)).toMatchObject({ url: 'cs:~kirk/wiki-scaler' });
    expect(await entityAt('cs:wiki-scaler', kirk)).toMatchObject({ url: 'cs:~kirk/wiki-scaler' });
    // Private names share the namespace but stay invisible.
    expect(await entityAt('cs:wiki-scaler', spock)).toBeNull();
  });

  it('registers public entities, bundles, and names for a group you belong to', async () => {
    const bundle = await store.execute(RegisterNameDocument, { input: { name: 'fleet', owner: 'vulcans', kind: 'BUNDLE', private: false } }, { token: spock });
    expect(bundle.data?.registerName).toMatchObject({ entity: { url: 'cs:~vulcans/bundle/fleet', owner: 'vulcans', kind: 'BUNDLE', private: false } });
    expect(await entityAt('cs:bundle/fleet')).toMatchObject({ url: 'cs:~vulcans/bundle/fleet' });
    expect(await entityAt('cs:trusty/fleet')).toBeNull();
  });

  it('refuses taken names, existing entities, other people\'s namespaces and malformed names', async () => {
    const taken = await store.execute(RegisterNameDocument, { input: { name: 'wiki-scaler' } }, { token: spock });
    expect(taken.data?.registerName).toEqual({
      __typename: 'ConflictError',
      message: 'The name "wiki-scaler" is already registered; choose another one (for example "spock-wiki-scaler")',
    });
    const forOther = await store.execute(RegisterNameDocument, { input: { name: 'kirk-owned', owner: 'kirk' } }, { token: spock });
    expect(forOther.data?.registerName).toEqual({
      __typename: 'PermissionDeniedError',
      message: 'You may register names for yourself and for the groups you belong to, not for "kirk"',
    });
    const unknownOwner = await store.execute(RegisterNameDocument, { input: { name: 'lost', owner: 'nobody' } }, { token: spock });
    expect(unknownOwner.data?.registerName).toEqual({ __typename: 'ValidationError', field: 'owner', message: 'No user or group is called "nobody"' });
    for (const name of ['Foo', 'foo-42', '42foo', 'foo--bar', '']) {
      const bad = await store.execute(RegisterNameDocument, { input: { name } }, { token: spock });
      expect(bad.data?.registerName).toMatchObject({ __typename: 'ValidationError', field: 'name' });
    }
    const anonymous = await store.execute(RegisterNameDocument, { input: { name: 'anon' } });
    expect(anonymous.data?.registerName).toEqual({
      __typename: 'AuthenticationError',
      message: 'Sign in first: this operation needs a bearer token from the login mutation',
    });
    // Admins register for anyone.
    const byAdmin = await store.execute(RegisterNameDocument, { input: { name: 'kirk-owned', owner: 'kirk' } }, { token: admin });
    expect(byAdmin.data?.registerName).toMatchObject({ entity: { url: 'cs:~kirk/kirk-owned', owner: 'kirk' } });
  });

  it('lets exactly one of many concurrent registrations of a name win', async () => {
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, index) => store.execute(RegisterNameDocument, { input: { name: 'contested' } }, { token: index % 2 ? kirk : spock })),
    );
    const kinds = results.map((result) => result.data?.registerName.__typename);
    expect(kinds.filter((kind) => kind === 'RegisterNameSuccess')).toHaveLength(1);
    expect(kinds.filter((kind) => kind === 'ConflictError')).toHaveLength(7);
    const entities = await store.database.db.prisma.entity.count({ where: { name: 'contested' } });
    expect(entities).toBe(1);
  });

  it('needs account-register-package on a scoped token', async () => {
    const created = await store.execute(CreateTokenDocument, { input: { permissions: ['package-manage'] } }, { token: kirk });
    if (created.data?.createToken.__typename !== 'CreateTokenSuccess') throw new Error(JSON.stringify(created));
    const result = await store.execute(RegisterNameDocument, { input: { name: 'scoped' } }, { token: created.data.createToken.token });
    expect(result.data?.registerName).toEqual({
      __typename: 'PermissionDeniedError',
      message: 'The token in use does not allow account-register-package; registering names needs it',
    });
  });
});

describe('reserved names', () => {
  it('only admins reserve, register and unreserve them', async () => {
    const byUser = await store.execute(ReserveNameDocument, { input: { name: 'postgresql' } }, { token: kirk });
    expect(byUser.data?.reserveName).toEqual({ __typename: 'PermissionDeniedError', message: 'Only store administrators may reserve names' });
    expect((await store.execute(ReserveNameDocument, { input: { name: 'postgresql' } }, { token: admin })).data?.reserveName).toEqual({
      __typename: 'ReserveNameSuccess',
      name: 'postgresql',
    });
    const reserved = await store.execute(RegisterNameDocument, { input: { name: 'postgresql' } }, { token: kirk });
    expect(reserved.data?.registerName).toEqual({
      __typename: 'ConflictError',
      message: 'The name "postgresql" is reserved; only store administrators may register it (ask them if you think you should have it)',
    });
    const byAdmin = await store.execute(RegisterNameDocument, { input: { name: 'postgresql', owner: 'kirk' } }, { token: admin });
    expect(byAdmin.data?.registerName).toMatchObject({ entity: { url: 'cs:~kirk/postgresql' } });
    // Given back, the name returns to the reserved list.
    expect((await store.execute(UnregisterNameDocument, { input: { name: 'postgresql' } }, { token: kirk })).data?.unregisterName).toEqual({
      __typename: 'UnregisterNameSuccess',
      name: 'postgresql',
    });
    expect((await store.execute(RegisterNameDocument, { input: { name: 'postgresql' } }, { token: kirk })).data?.registerName.__typename).toBe('ConflictError');

    expect((await store.execute(UnreserveNameDocument, { input: { name: 'postgresql' } }, { token: admin })).data?.unreserveName).toEqual({
      __typename: 'UnreserveNameSuccess',
      name: 'postgresql',
    });
    expect((await store.execute(UnreserveNameDocument, { input: { name: 'postgresql' } }, { token: admin })).data?.unreserveName).toEqual({
      __typename: 'NotFoundError',
      message: '"postgresql" is not a reserved name',
    });
    expect((await store.execute(RegisterNameDocument, { input: { name: 'postgresql' } }, { token: kirk })).data?.registerName.__typename).toBe('RegisterNameSuccess');
  });
});

describe('unregisterName', () => {
  it('gives an empty name back (owners and admins only) so that someone else may take it', async () => {
    await registerEntity(store, kirk, 'short-lived');
    const bySpock = await store.execute(UnregisterNameDocument, { input: { name: 'short-lived' } }, { token: spock });
    expect(bySpock.data?.unregisterName).toEqual({ __typename: 'NotFoundError', message: 'No registered name "short-lived" (or you may not see it)' });
    expect((await store.execute(UnregisterNameDocument, { input: { name: 'short-lived' } }, { token: kirk })).data?.unregisterName.__typename).toBe('UnregisterNameSuccess');
    expect(await entityAt('cs:~kirk/short-lived', kirk)).toBeNull();
    expect(await registerEntity(store, spock, 'short-lived')).toMatchObject({ url: 'cs:~spock/short-lived' });
  });

  it('refuses a name whose entity has revisions', async () => {
    const entity = await registerEntity(store, kirk, 'has-revisions');
    const prisma = store.database.db.prisma;
    const row = await prisma.entity.findFirstOrThrow({ where: { name: 'has-revisions' } });
    const kirkUser = await prisma.user.findUniqueOrThrow({ where: { username: 'kirk' } });
    // Written directly: this file tests names, not push.
    await prisma.revision.create({ data: { entityId: row.id, number: 0, sha384: 'a', sha256: 'b', size: 1n, createdById: kirkUser.id } });
    const result = await store.execute(UnregisterNameDocument, { input: { name: 'has-revisions' } }, { token: kirk });
    expect(result.data?.unregisterName).toEqual({
      __typename: 'ConflictError',
      message: 'cs:~kirk/has-revisions has 1 revision; only a name whose entity has none can be unregistered',
    });
    expect(await entityAt(entity.url, kirk)).toMatchObject({ url: 'cs:~kirk/has-revisions' });
  });
});

describe('promulgation', () => {
  it('is for admins only', async () => {
    await registerEntity(store, kirk, 'mysql', { private: false });
    const result = await store.execute(PromulgateDocument, { input: { url: 'cs:~kirk/mysql', promulgated: true } }, { token: kirk });
    expect(result.data?.promulgate).toEqual({ __typename: 'PermissionDeniedError', message: 'Only store administrators may promulgate' });
  });

  it('moves the top-level name to the promulgated entity and unpromulgates the one that held it', async () => {
    // ~kirk/mysql holds "mysql" by registration; spock has another one.
    await store.execute(PromulgateDocument, { input: { url: 'cs:~kirk/mysql', promulgated: true } }, { token: admin });
    expect(await entityAt('cs:mysql')).toMatchObject({ url: 'cs:~kirk/mysql', promulgated: true });

    const prisma = store.database.db.prisma;
    const spockNs = await prisma.namespace.findUniqueOrThrow({ where: { name: 'spock' } });
    await prisma.entity.create({ data: { namespaceId: spockNs.id, name: 'mysql', kind: 'CHARM', private: false } });

    const moved = await store.execute(PromulgateDocument, { input: { url: 'cs:~spock/mysql', promulgated: true } }, { token: admin });
    expect(moved.data?.promulgate).toEqual({ __typename: 'PromulgateSuccess', entity: { url: 'cs:~spock/mysql', promulgated: true } });
    expect(await entityAt('cs:mysql')).toMatchObject({ url: 'cs:~spock/mysql', promulgated: true });
    expect(await entityAt('cs:~kirk/mysql')).toMatchObject({ url: 'cs:~kirk/mysql', promulgated: false });

    const events = await store.execute(AuditEventsDocument, { first: 1, action: 'promulgate' }, { token: admin });
    expect(events.data?.auditEvents?.edges[0]?.node).toMatchObject({
      action: 'promulgate',
      actor: 'admin',
      target: 'cs:~spock/mysql',
      before: { promulgated: false, name: 'mysql', heldBy: 'cs:~kirk/mysql' },
      after: { promulgated: true, name: 'mysql' },
      url: 'cs:~spock/mysql',
    });
  });

  it('unpromulgating drops the recommendation and keeps the top-level name bound', async () => {
    const result = await store.execute(PromulgateDocument, { input: { url: 'cs:~spock/mysql', promulgated: false } }, { token: admin });
    expect(result.data?.promulgate).toEqual({ __typename: 'PromulgateSuccess', entity: { url: 'cs:~spock/mysql', promulgated: false } });
    expect(await entityAt('cs:mysql')).toMatchObject({ url: 'cs:~spock/mysql', promulgated: false });
    // And the name is not free for registration.
    expect((await store.execute(RegisterNameDocument, { input: { name: 'mysql' } }, { token: kirk })).data?.registerName.__typename).toBe('ConflictError');
  });

  it('is invisible-safe: an unknown url is NotFoundError', async () => {
    const result = await store.execute(PromulgateDocument, { input: { url: 'cs:~kirk/nope', promulgated: true } }, { token: admin });
    expect(result.data?.promulgate).toEqual({ __typename: 'NotFoundError', message: 'No charm or bundle matches "cs:~kirk/nope" (or you may not see it)' });
  });
});

describe('the global audit log', () => {
  it('is for admins only', async () => {
    expect((await store.execute(AuditEventsDocument, { first: 5 }, { token: kirk })).data).toEqual({ auditEvents: null });
    expect((await store.execute(AuditEventsDocument, { first: 5 })).data).toEqual({ auditEvents: null });
    const page = await store.execute(AuditEventsDocument, { first: 3 }, { token: admin });
    expect(page.data?.auditEvents?.edges).toHaveLength(3);
    const ids = page.data!.auditEvents!.edges.map((edge) => Number(edge.node.id));
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
  });
});
