import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../src/services/context.js';
import { Prisma } from '../src/generated/prisma/client.js';
import { type Caller, ANONYMOUS } from '../src/services/authorization/caller.js';
import { visibleEntitySql, visibleEntityWhere } from '../src/services/authorization/entity-access.js';
import { CreateTokenDocument, GrantDocument, PromulgateDocument, SearchEntitiesDocument } from './generated/graphql.js';
import { createUserAndLogin, loginAdmin } from './support/accounts.js';
import { createGroupWith, registerEntity } from './support/sharing.js';
import { createTestStore, type TestStore } from './support/store.js';

let store: TestStore;
let admin: string;
let kirk: string;
let spock: string;

/**
 * Writes a revision with this summary and description straight into the
 * database, as a push would leave it, and (unless `released` is false) points
 * latest/stable at it, as a release would.
 */
async function revision(url: string, summary: string, description: string, released = true) {
  const prisma = store.database.db.prisma;
  const [, owner, name] = /^cs:~([^/]+)\/(?:bundle\/)?(.+)$/.exec(url)!;
  const entity = await prisma.entity.findFirstOrThrow({ where: { name, namespace: { name: owner } } });
  const { nextRevision } = await prisma.entity.update({ where: { id: entity.id }, data: { nextRevision: { increment: 1 } } });
  const created = await prisma.revision.create({
    data: { entityId: entity.id, number: nextRevision - 1, sha384: `${url}-${nextRevision}`, sha256: 'x', size: 1n, summary, description, createdById: (await prisma.user.findFirstOrThrow()).id },
  });
  if (!released) return;
  await prisma.channel.upsert({
    where: { entityId_track_risk_branch: { entityId: entity.id, track: 'latest', risk: 'STABLE', branch: '' } },
    create: { entityId: entity.id, track: 'latest', risk: 'STABLE', revisionId: created.id },
    update: { revisionId: created.id },
  });
}

beforeAll(async () => {
  store = await createTestStore();
  admin = await loginAdmin(store);
  kirk = await createUserAndLogin(store, admin, 'kirk');
  spock = await createUserAndLogin(store, admin, 'spock');
  await createGroupWith(store, admin, 'dbas', ['spock']);

  await registerEntity(store, kirk, 'postgresql', { private: false });
  await revision('cs:~kirk/postgresql', 'PostgreSQL object-relational database', 'The world\'s most advanced open source relational database.');
  await registerEntity(store, kirk, 'wiki-scaler', { private: false });
  await revision('cs:~kirk/wiki-scaler', 'Scales MediaWiki clusters', 'Keeps a PostgreSQL-backed wiki responsive under load.');
  await registerEntity(store, spock, 'pgbouncer', { private: false });
  await revision('cs:~spock/pgbouncer', 'Connection pooler', 'A lightweight connection pooler in front of a postgresql server.');
  await registerEntity(store, spock, 'queue', { private: false });
  await revision('cs:~spock/queue', 'Legacy database', 'Was a database once.');
  await revision('cs:~spock/queue', 'Message queue', 'Delivers messages between services.');
  await registerEntity(store, spock, 'secret-db', { private: true });
  await revision('cs:~spock/secret-db', 'A secret postgresql fork', 'Nobody else may know about it.');
  await registerEntity(store, kirk, 'db-stack', { kind: 'BUNDLE', private: false });
  await revision('cs:~kirk/bundle/db-stack', 'PostgreSQL with a pooler', 'postgresql and pgbouncer together.');
  await revision('cs:~spock/queue', 'Unreleased rewrite', 'Nobody outside may find the word zeppelin yet.', false);
  await store.execute(PromulgateDocument, { input: { url: 'cs:~kirk/postgresql', promulgated: true } }, { token: admin });
});
afterAll(() => store.close());

async function search(variables: { query?: string; owner?: string; kind?: 'CHARM' | 'BUNDLE'; promulgated?: boolean; first?: number; after?: string }, token?: string) {
  const result = await store.execute(SearchEntitiesDocument, variables, { token });
  expect(result.errors).toBeUndefined();
  return result.data!.entities;
}

const urls = (connection: Awaited<ReturnType<typeof search>>) => connection.edges.map((edge) => edge.node.url);

describe('entities(query:)', () => {
  it('ranks name matches first, then summaries, then descriptions, and hides what the caller may not see', async () => {
    expect(urls(await search({ query: 'postgresql' }))).toEqual([
      'cs:~kirk/postgresql',
      'cs:~kirk/bundle/db-stack',
      'cs:~spock/pgbouncer',
      'cs:~kirk/wiki-scaler',
    ]);
    expect(urls(await search({ query: 'postgresql' }, spock))).toContain('cs:~spock/secret-db');
    expect(urls(await search({ query: 'secret' }, kirk))).toEqual([]);
    expect(urls(await search({ query: 'secret' }, admin))).toEqual(['cs:~spock/secret-db']);
  });

  it('searches the revision released on stable only, stems words, and matches partial names', async () => {
    expect(urls(await search({ query: 'legacy' }))).toEqual([]);
    expect(urls(await search({ query: 'zeppelin' }))).toEqual([]);
    expect(urls(await search({ query: 'zeppelin' }, spock))).toEqual([]);
    expect(urls(await search({ query: 'messaging queues' }))).toEqual(['cs:~spock/queue']);
    expect(urls(await search({ query: 'pgbounc' }))).toEqual(['cs:~spock/pgbouncer']);
    expect(urls(await search({ query: 'pooler -postgresql' }))).toEqual([]);
    expect(urls(await search({ query: '"connection pooler"' }))).toEqual(['cs:~spock/pgbouncer']);
  });

  it('combines with owner, kind and promulgated (Recommended / Community)', async () => {
    expect(urls(await search({ query: 'postgresql', owner: 'spock' }))).toEqual(['cs:~spock/pgbouncer']);
    expect(urls(await search({ query: 'postgresql', kind: 'BUNDLE' }))).toEqual(['cs:~kirk/bundle/db-stack']);
    expect(urls(await search({ query: 'postgresql', promulgated: true }))).toEqual(['cs:~kirk/postgresql']);
    expect(urls(await search({ query: 'postgresql', promulgated: false }))).toEqual(['cs:~kirk/bundle/db-stack', 'cs:~spock/pgbouncer', 'cs:~kirk/wiki-scaler']);
  });

  it('pages forward in rank order', async () => {
    const first = await search({ query: 'postgresql', first: 2 });
    expect(urls(first)).toEqual(['cs:~kirk/postgresql', 'cs:~kirk/bundle/db-stack']);
    expect(first.pageInfo.hasNextPage).toBe(true);
    const second = await search({ query: 'postgresql', first: 2, after: first.pageInfo.endCursor! });
    expect(urls(second)).toEqual(['cs:~spock/pgbouncer', 'cs:~kirk/wiki-scaler']);
    expect(second.pageInfo.hasNextPage).toBe(false);
  });

  it('lists Recommended and Community without a query too', async () => {
    expect(urls(await search({ promulgated: true }))).toEqual(['cs:~kirk/postgresql']);
    expect(urls(await search({ promulgated: false, owner: 'kirk' }))).toEqual(['cs:~kirk/bundle/db-stack', 'cs:~kirk/wiki-scaler']);
  });

  it('follows grants at once', async () => {
    expect(urls(await search({ query: 'secret' }, kirk))).toEqual([]);
    await store.execute(GrantDocument, { input: { url: 'cs:~spock/secret-db', principals: ['kirk'] } }, { token: spock });
    expect(urls(await search({ query: 'secret' }, kirk))).toEqual(['cs:~spock/secret-db']);
  });

  it('keeps scoped tokens within their entities, except for what anybody may see', async () => {
    const created = await store.execute(CreateTokenDocument, { input: { entities: ['cs:~spock/queue'] } }, { token: spock });
    if (created.data?.createToken.__typename !== 'CreateTokenSuccess') throw new Error(JSON.stringify(created));
    expect(urls(await search({ query: 'secret' }, created.data.createToken.token))).toEqual([]);
    expect(urls(await search({ query: 'queue' }, created.data.createToken.token))).toEqual(['cs:~spock/queue']);
  });
});

describe('visibleEntitySql', () => {
  it('selects exactly what visibleEntityWhere selects, for every kind of caller', async () => {
    const prisma = store.database.db.prisma;
    await registerEntity(store, spock, 'group-shared', { owner: 'dbas' });
    await registerEntity(store, kirk, 'everyone-beta');
    await store.execute(GrantDocument, { input: { url: 'cs:~kirk/everyone-beta', channel: 'beta', principals: ['everyone'] } }, { token: kirk });
    const actor = (username: string, limits: Partial<Pick<Actor, 'permissions' | 'entities' | 'channels'>> = {}): Actor => ({
      userId: 0,
      username,
      isAdmin: false,
      tokenId: 0,
      tokenExpiresAt: new Date(),
      permissions: [],
      entities: [],
      channels: [],
      ...limits,
    });
    const callers: Caller[] = [
      ANONYMOUS,
      { actor: actor('kirk'), isAdmin: false, principals: ['everyone', 'kirk'], groupIds: [] },
      { actor: actor('spock'), isAdmin: false, principals: ['everyone', 'spock', 'dbas'], groupIds: [] },
      { actor: actor('admin'), isAdmin: true, principals: ['everyone', 'admin'], groupIds: [] },
      { actor: actor('spock', { entities: ['cs:~spock/secret-db'] }), isAdmin: false, principals: ['everyone', 'spock', 'dbas'], groupIds: [] },
      { actor: actor('spock', { permissions: ['account-register-package'] }), isAdmin: false, principals: ['everyone', 'spock', 'dbas'], groupIds: [] },
      { actor: actor('admin', { entities: ['cs:~kirk/bundle/db-stack'] }), isAdmin: false, principals: ['everyone', 'admin'], groupIds: [] },
    ];
    for (const caller of callers) {
      const viaPrisma = (await prisma.entity.findMany({ where: visibleEntityWhere(caller), select: { id: true }, orderBy: { id: 'asc' } })).map((row) => row.id);
      const viaSql = (await prisma.$queryRaw<Array<{ id: number }>>(Prisma.sql`SELECT e."id" FROM "Entity" e WHERE ${visibleEntitySql(caller, 'e')} ORDER BY e."id"`)).map((row) => row.id);
      expect(viaSql).toEqual(viaPrisma);
    }
  });
});
