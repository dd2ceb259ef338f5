import { createHash } from 'node:crypto';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { parse } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PushDocument, ReleaseDocument, ViewerDocument } from './generated/graphql.js';
import { createUserAndLogin, loginAdmin } from './support/accounts.js';
import { pushArchive, upload } from './support/push.js';
import { createTestStore, type TestStore } from './support/store.js';
import { charmZip } from './support/zip.js';

/**
 * The statement budget of the writes (docs/performance.md): a push or a
 * release (into one channel or several, with resource pins or without) costs
 * at most WRITE_BUDGET statements on the wire for the whole request
 * (authentication, the transaction's BEGIN and COMMIT, the entity's row lock,
 * the writes, the answer).
 */
const WRITE_BUDGET = 8;

let store: TestStore;
let kirk: string;

beforeAll(async () => {
  store = await createTestStore();
  kirk = await createUserAndLogin(store, await loginAdmin(store), 'kirk');
  // A token's first use records it (one more statement, once per interval); the writes below are measured after it.
  await store.execute(ViewerDocument, {}, { token: kirk });
});
afterAll(() => store.close());

/**
 * Runs `operation` and returns its result with the statements it sent. The
 * database hook sees COMMIT (and ROLLBACK) but not the BEGIN before them,
 * which is counted here: one per transaction.
 */
async function withStatements<R>(operation: () => Promise<R>): Promise<{ result: R; statements: string[] }> {
  const statements: string[] = [];
  const stop = store.database.db.onStatement((sql) => {
    if (/\b(COMMIT|ROLLBACK)\b/.test(sql) && sql.length < 80) statements.push('BEGIN (counted for the transaction)');
    statements.push(sql);
  });
  try {
    return { result: await operation(), statements };
  } finally {
    stop();
  }
}

function charm(name: string, note: string) {
  return charmZip({ name, revisionNote: note, resources: { data: { type: 'file', description: 'the data' } } });
}

/**
 * The locking read's statements: on PostgreSQL the lock is a statement of its own, sent together with the read
 * behind it (one round trip, locked-read.ts); PGlite, where nothing else commits meanwhile, does both in one.
 */
function lockingReadStatements(): number {
  return store.database.db.kind === 'postgres' ? 2 : 1;
}

function release(url: string, channels: string[]) {
  return withStatements(() => store.execute(ReleaseDocument, { input: { url, revision: 0, channels } }, { token: kirk }));
}

describe('the statements of a write', () => {
  it('a multipart push: of a new charm, and of its next revision', async () => {
    const first = await withStatements(() => pushArchive(store, kirk, charm('budget-a', '0')));
    expect(first.result.data?.push).toMatchObject({ __typename: 'PushSuccess', revision: { number: 0 } });
    const next = await withStatements(() => pushArchive(store, kirk, charm('budget-a', '1')));
    expect(next.result.data?.push).toMatchObject({ __typename: 'PushSuccess', revision: { number: 1 } });
    expect(first.statements.length, first.statements.join('\n')).toBeLessThanOrEqual(WRITE_BUDGET);
    expect(next.statements.length, next.statements.join('\n')).toBeLessThanOrEqual(WRITE_BUDGET);
    // It was all written: the counter, the resource, and the blob.
    const entity = await store.database.db.prisma.entity.findFirstOrThrow({ where: { name: 'budget-a' }, include: { resources: true, revisions: true } });
    expect(entity.nextRevision).toBe(2);
    expect(entity.resources.map((resource) => [resource.name, resource.type, resource.description])).toEqual([['data', 'file', 'the data']]);
    expect((await store.request('/archives/~kirk/budget-a/1', { token: kirk })).status).toBe(200);
  });

  it('a push through an /uploads pointer', async () => {
    await pushArchive(store, kirk, charm('budget-b', '0'));
    const { uploadId } = await upload(store, kirk, charm('budget-b', '1'));
    const pushed = await withStatements(() => store.execute(PushDocument, { input: { uploadId } }, { token: kirk }));
    expect(pushed.result.data?.push).toMatchObject({ __typename: 'PushSuccess', revision: { number: 1 } });
    expect(pushed.statements.length, pushed.statements.join('\n')).toBeLessThanOrEqual(WRITE_BUDGET);
    expect((await store.database.db.prisma.upload.findUniqueOrThrow({ where: { id: uploadId } })).usedAt).not.toBeNull();
  });

  it('a release into one channel and into two', async () => {
    await pushArchive(store, kirk, charmZip({ name: 'budget-c' }));
    const one = await release('cs:~kirk/budget-c', ['stable']);
    expect(one.result.data?.release).toMatchObject({ __typename: 'ReleaseSuccess', releases: [{ channel: 'latest/stable' }] });
    const two = await release('cs:~kirk/budget-c', ['edge', 'beta']);
    expect(two.result.data?.release).toMatchObject({ __typename: 'ReleaseSuccess', releases: [{ channel: 'latest/edge' }, { channel: 'latest/beta' }] });
    expect(one.statements.length, one.statements.join('\n')).toBeLessThanOrEqual(WRITE_BUDGET);
    expect(two.statements.length, two.statements.join('\n')).toBeLessThanOrEqual(WRITE_BUDGET);
  });

  it('a release pinning a resource revision, into two channels and into one', async () => {
    await pushArchive(store, kirk, charm('budget-d', '0'));
    const prisma = store.database.db.prisma;
    const entity = await prisma.entity.findFirstOrThrow({ where: { name: 'budget-d' }, include: { resources: true } });
    // The resource revision is seeded: pushing one is not what this measures.
    const pinned = await prisma.resourceRevision.create({
      data: {
        resourceId: entity.resources[0]!.id,
        revision: 0,
        sha384: 'a'.repeat(96),
        sha256: 'b'.repeat(64),
        size: 1n,
        createdAt: new Date(),
        createdById: (await prisma.user.findUniqueOrThrow({ where: { username: 'kirk' } })).id,
      },
    });
    const released = await release('cs:~kirk/budget-d', ['stable', 'edge']);
    expect(released.result.data?.release).toMatchObject({
      __typename: 'ReleaseSuccess',
      releases: [{ channel: 'latest/stable', resources: [{ name: 'data', revision: 0 }] }, { channel: 'latest/edge', resources: [{ name: 'data', revision: 0 }] }],
    });
    const one = await release('cs:~kirk/budget-d', ['candidate']);
    expect(one.result.data?.release).toMatchObject({ __typename: 'ReleaseSuccess', releases: [{ channel: 'latest/candidate', resources: [{ name: 'data', revision: 0 }] }] });
    expect(released.statements.length, released.statements.join('\n')).toBeLessThanOrEqual(WRITE_BUDGET);
    expect(one.statements.length, one.statements.join('\n')).toBeLessThanOrEqual(WRITE_BUDGET);
    expect(await prisma.releaseResource.count({ where: { resourceRevisionId: pinned.id } })).toBe(3);
  });

  it('answers from the rows written, reading nothing after the commit, when the selection asks only for what the write knows', async () => {
    await pushArchive(store, kirk, charmZip({ name: 'budget-e', revisionNote: '0' }));
    const pushDocument = parse(`mutation($input: PushInput!) {
      push(input: $input) { __typename ... on PushSuccess { duplicate revision { number url createdBy sha384 } } }
    }`) as TypedDocumentNode<{ push: unknown }, { input: unknown }>;
    const archive = charmZip({ name: 'budget-e', revisionNote: '1' });
    const pushed = await withStatements(() =>
      store.executeMultipart(pushDocument, { input: { archive: null, url: '~kirk/budget-e' } }, { 'input.archive': new File([new Uint8Array(archive)], 'a.zip') }, { token: kirk }),
    );
    expect(pushed.result.data?.push).toEqual({
      __typename: 'PushSuccess',
      duplicate: false,
      revision: { number: 1, url: 'cs:~kirk/budget-e-1', createdBy: 'kirk', sha384: createHash('sha384').update(archive).digest('hex') },
    });
    const lockingRead = lockingReadStatements();
    // The token, BEGIN, the locking read, the write with its audit event, COMMIT.
    expect(pushed.statements.length, pushed.statements.join('\n')).toBe(4 + lockingRead);
    const releaseDocument = parse(`mutation($input: ReleaseInput!) {
      release(input: $input) { __typename ... on ReleaseSuccess { releases { channel action releasedBy revision { number url } resources { name } } } }
    }`) as TypedDocumentNode<{ release: unknown }, { input: unknown }>;
    const released = await withStatements(() =>
      store.execute(releaseDocument, { input: { url: 'cs:~kirk/budget-e', revision: 1, channels: ['edge', 'beta'] } }, { token: kirk }),
    );
    const entry = (channel: string) => ({ channel, action: 'RELEASE', releasedBy: 'kirk', revision: { number: 1, url: 'cs:~kirk/budget-e-1' }, resources: [] });
    expect(released.result.data?.release).toEqual({ __typename: 'ReleaseSuccess', releases: [entry('latest/edge'), entry('latest/beta')] });
    // The token, BEGIN, the locking read (with the revision and the channels), the write with its audit event, COMMIT.
    expect(released.statements.length, released.statements.join('\n')).toBe(4 + lockingRead);
    expect(released.statements.filter((statement) => statement.includes('"targetChannels"'))).toEqual([expect.stringContaining('"callerGroups"')]);
    // Both were audited, in the statements that wrote them.
    const audited = await store.database.db.prisma.auditEvent.findMany({ where: { target: 'cs:~kirk/budget-e-1' }, orderBy: { id: 'asc' } });
    expect(audited.map((event) => event.action)).toEqual(['push', 'release']);
  });

  it('a promote, and a move of a rollout', async () => {
    await pushArchive(store, kirk, charmZip({ name: 'budget-f' }));
    await release('cs:~kirk/budget-f', ['edge']);
    const promoteDocument = parse(`mutation($input: PromoteInput!) {
      promote(input: $input) { __typename ... on PromoteSuccess { from } }
    }`) as TypedDocumentNode<{ promote: unknown }, { input: unknown }>;
    const promoted = await withStatements(() => store.execute(promoteDocument, { input: { url: 'cs:~kirk/budget-f', from: 'edge', to: ['beta', 'candidate'] } }, { token: kirk }));
    expect(promoted.result.data?.promote).toEqual({ __typename: 'PromoteSuccess', from: 'latest/edge' });
    // The token, BEGIN, the locking read, the read of the channel maps, the read of the numbers, pins and targets, the write with its audit event, COMMIT.
    expect(promoted.statements.length, promoted.statements.join('\n')).toBe(6 + lockingReadStatements());

    const rollout = await withStatements(() =>
      store.execute(ReleaseDocument, { input: { url: 'cs:~kirk/budget-f', revision: 0, channels: ['stable'], progressive: { percentage: 10 } } }, { token: kirk }),
    );
    expect(rollout.result.data?.release).toMatchObject({ __typename: 'ReleaseSuccess' });
    const moveDocument = parse(`mutation($input: UpdateProgressiveInput!) {
      updateProgressive(input: $input) { __typename ... on UpdateProgressiveSuccess { releases { progressivePercentage } } }
    }`) as TypedDocumentNode<{ updateProgressive: unknown }, { input: unknown }>;
    const moved = await withStatements(() => store.execute(moveDocument, { input: { url: 'cs:~kirk/budget-f', channels: ['stable'], percentage: 50 } }, { token: kirk }));
    expect(moved.result.data?.updateProgressive).toEqual({ __typename: 'UpdateProgressiveSuccess', releases: [{ progressivePercentage: 50 }] });
    // The token, BEGIN, the locking read, the read of the channel, the new history entry (with its pins and the map entries moved), the pointer, the audit event, COMMIT.
    expect(moved.statements.length, moved.statements.join('\n')).toBe(7 + lockingReadStatements());
  });
});
