import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GrantDocument, PromulgateDocument, RegisterNameDocument, RevokeDocument } from './generated/graphql.js';
import { createUserAndLogin, loginAdmin } from './support/accounts.js';
import { testDatabaseKind } from './support/database.js';
import { type ServerProcess, startServer } from './support/process.js';
import { registerEntity } from './support/sharing.js';
import { createTestStore, type TestStore } from './support/store.js';

const N = 16;

let store: TestStore;
let admin: string;
const users: string[] = [];
/** On PostgreSQL, a second server process on the same schema takes every other request. */
let second: ServerProcess | undefined;

beforeAll(async () => {
  // A real clock: the second process has one too, and must accept the same tokens.
  store = await createTestStore({ realClock: true });
  admin = await loginAdmin(store);
  for (let i = 0; i < 4; i++) users.push(await createUserAndLogin(store, admin, `user${i}`));
  if (testDatabaseKind() === 'postgres') {
    second = await startServer({ DATABASE_URL: store.database.url!, STORE_DATA_DIR: '/nonexistent-unused' });
  }
});
afterAll(async () => {
  await second?.stop();
  await store.close();
});

/** Sends request `index` in-process, or to the second process for odd indexes when there is one. */
async function send<R, V extends Record<string, unknown>>(index: number, token: string, document: TypedDocumentNode<R, V>, variables: V): Promise<R> {
  if (second && index % 2 === 1) {
    const response = await fetch(`${second.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: print(document), variables }),
    });
    return ((await response.json()) as { data: R }).data;
  }
  return (await store.execute(document, variables, { token })).data!;
}

describe(`concurrent sharing changes (${testDatabaseKind()}${testDatabaseKind() === 'postgres' ? ', two server processes' : ''})`, () => {
  it(`lets exactly one of ${N} registrations of one name by several users win`, async () => {
    const results = await Promise.all(
      Array.from({ length: N }, (_, i) => send(i, users[i % users.length]!, RegisterNameDocument, { input: { name: 'contested' } }).then((r) => r.registerName.__typename)),
    );
    expect(results.filter((typename) => typename === 'RegisterNameSuccess')).toHaveLength(1);
    expect(results.filter((typename) => typename === 'ConflictError')).toHaveLength(N - 1);
    const prisma = store.database.db.prisma;
    expect(await prisma.entity.count({ where: { name: 'contested' } })).toBe(1);
    const bound = await prisma.topLevelName.findUniqueOrThrow({ where: { name: 'contested' }, include: { entity: true } });
    expect(bound.entity?.name).toBe('contested');
  });

  it('keeps every list non-empty when its principals are revoked one by one at once', async () => {
    const owner = users[0]!;
    await registerEntity(store, owner, 'shared');
    const principals = ['user1', 'user2', 'user3'];
    await store.execute(GrantDocument, { input: { url: 'cs:~user0/shared', channel: 'edge', acl: 'WRITE', principals } }, { token: owner });
    await store.execute(RevokeDocument, { input: { url: 'cs:~user0/shared', channel: 'edge', acl: 'WRITE', principals: ['user0'] } }, { token: owner });
    const results = await Promise.all(
      principals.map((principal, i) =>
        send(i, owner, RevokeDocument, { input: { url: 'cs:~user0/shared', channel: 'edge', acl: 'WRITE', principals: [principal] } }).then((r) => r.revoke.__typename),
      ),
    );
    expect(results.filter((typename) => typename === 'RevokeSuccess')).toHaveLength(2);
    expect(results.filter((typename) => typename === 'ValidationError')).toHaveLength(1);
    const left = await store.database.db.prisma.aclEntry.count({ where: { entity: { name: 'shared' }, channel: 'edge', kind: 'WRITE' } });
    expect(left).toBe(1);
  });

  it('leaves exactly one promulgated holder of a name when admins promulgate several entities of it at once', async () => {
    const prisma = store.database.db.prisma;
    for (const username of ['user1', 'user2', 'user3']) {
      const namespace = await prisma.namespace.findUniqueOrThrow({ where: { name: username } });
      await prisma.entity.create({ data: { namespaceId: namespace.id, name: 'popular', kind: 'CHARM', private: false } });
    }
    const results = await Promise.all(
      ['user1', 'user2', 'user3', 'user1', 'user2', 'user3'].map((owner, i) =>
        send(i, admin, PromulgateDocument, { input: { url: `cs:~${owner}/popular`, promulgated: true } }).then((r) => r.promulgate.__typename),
      ),
    );
    expect(results.every((typename) => typename === 'PromulgateSuccess')).toBe(true);
    const promulgated = await prisma.entity.findMany({ where: { name: 'popular', promulgated: true } });
    expect(promulgated).toHaveLength(1);
    const bound = await prisma.topLevelName.findUniqueOrThrow({ where: { name: 'popular' } });
    expect(bound.entityId).toBe(promulgated[0]!.id);
  });
});
