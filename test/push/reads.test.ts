import { createHash } from 'node:crypto';
import { InProcessEventBus } from '../../src/services/pipeline/events.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  EntityRevisionByNumberDocument,
  EntityRevisionsDocument,
  LatestRevisionPageDocument,
  LatestRevisionsDocument,
  RevisionByUrlDocument,
} from '../generated/graphql.js';
import { createUserAndLogin, loginAdmin } from '../support/accounts.js';
import { pushOk } from '../support/push.js';
import { revisionLoader } from '../../src/services/entities/revision-loaders.js';
import { createTestStore, type TestStore } from '../support/store.js';
import { bundleZip, charmZip } from '../support/zip.js';

let store: TestStore;
let kirk: string;
let spock: string;
const archives = [0, 1, 2].map((n) => charmZip({ name: 'foo', series: ['jammy'], revisionNote: `rev ${n}` }));

beforeAll(async () => {
  store = await createTestStore();
  const admin = await loginAdmin(store);
  kirk = await createUserAndLogin(store, admin, 'kirk');
  spock = await createUserAndLogin(store, admin, 'spock');
  for (const archive of archives) await pushOk(store, kirk, archive);
  await pushOk(store, kirk, bundleZip({}), 'bundle/wiki');
  await pushOk(store, kirk, charmZip({ name: 'bar' }));
});
afterAll(() => store.close());

describe('revisions', () => {
  it('lists every revision newest first, a page at a time', async () => {
    const first = await store.execute(EntityRevisionsDocument, { url: 'cs:~kirk/foo', first: 2 }, { token: kirk });
    const page = first.data?.entity?.revisions;
    expect(page?.edges.map((edge) => edge.node.number)).toEqual([2, 1]);
    expect(page?.pageInfo.hasNextPage).toBe(true);
    const second = await store.execute(EntityRevisionsDocument, { url: 'cs:~kirk/foo', first: 2, after: page?.pageInfo.endCursor }, { token: kirk });
    expect(second.data?.entity?.revisions.edges.map((edge) => edge.node.number)).toEqual([0]);
    expect(second.data?.entity?.revisions.pageInfo.hasNextPage).toBe(false);
    expect(first.data?.entity?.latestRevision).toEqual({ number: 2 });
  });

  it('finds a revision by number on the entity', async () => {
    const result = await store.execute(EntityRevisionByNumberDocument, { url: '~kirk/foo', number: 1 }, { token: kirk });
    expect(result).toEqual({ status: 200, data: { entity: { revision: { number: 1, url: 'cs:~kirk/foo-1' } } } });
    const missing = await store.execute(EntityRevisionByNumberDocument, { url: '~kirk/foo', number: 7 }, { token: kirk });
    expect(missing.data?.entity?.revision).toBeNull();
  });

  it.each([
    ['cs:~kirk/foo-1', 1],
    ['~kirk/foo-1', 1],
    ['~kirk/jammy/foo-2', 2],
    ['cs:~kirk/bundle/wiki-0', 0],
  ])('revision(url: "%s")', async (url, number) => {
    const result = await store.execute(RevisionByUrlDocument, { url }, { token: kirk });
    expect(result.data?.revision?.number).toBe(number);
  });

  it.each(['cs:~kirk/foo', 'cs:~kirk/foo-9', '~kirk/trusty/foo-1', '~kirk/bundle/foo-1', 'not a url'])(
    'revision(url: "%s") is null',
    async (url) => {
      const result = await store.execute(RevisionByUrlDocument, { url }, { token: kirk });
      expect(result).toEqual({ status: 200, data: { revision: null } });
    },
  );

  it('hides a private entity\'s revisions from others and anonymous callers', async () => {
    for (const token of [spock, undefined]) {
      expect((await store.execute(RevisionByUrlDocument, { url: 'cs:~kirk/foo-1' }, { token })).data?.revision).toBeNull();
      expect((await store.execute(EntityRevisionsDocument, { url: 'cs:~kirk/foo' }, { token })).data?.entity).toBeNull();
    }
  });

  it('shows others only the revisions released on channels they may read', async () => {
    const prisma = store.database.db.prisma;
    const entity = await prisma.entity.findFirstOrThrow({ where: { name: 'foo' } });
    await prisma.entity.update({ where: { id: entity.id }, data: { private: false } });
    const publicView = await store.execute(EntityRevisionsDocument, { url: 'cs:~kirk/foo' }, { token: spock });
    expect(publicView.data?.entity).toMatchObject({ latestRevision: null, revisions: { edges: [] } });

    // What the release mutation (channels) writes: a pointer and its history.
    const revision = await prisma.revision.findFirstOrThrow({ where: { entityId: entity.id, number: 1 } });
    const kirkUser = await prisma.user.findUniqueOrThrow({ where: { username: 'kirk' } });
    const channel = await prisma.channel.create({ data: { entityId: entity.id, track: 'latest', risk: 'STABLE', revisionId: revision.id } });
    await prisma.release.create({ data: { channelId: channel.id, entityId: entity.id, action: 'RELEASE', revisionId: revision.id, createdById: kirkUser.id } });

    const released = await store.execute(EntityRevisionsDocument, { url: 'cs:~kirk/foo' }, { token: spock });
    expect(released.data?.entity).toMatchObject({ latestRevision: { number: 1 }, revisions: { edges: [{ node: { number: 1 } }] } });
    expect((await store.execute(RevisionByUrlDocument, { url: 'cs:~kirk/foo-1' }, { token: spock })).data?.revision?.number).toBe(1);
    expect((await store.execute(RevisionByUrlDocument, { url: 'cs:~kirk/foo-2' }, { token: spock })).data?.revision).toBeNull();
    expect((await store.request('/archives/~kirk/foo/1')).status).toBe(200);
    expect((await store.request('/archives/~kirk/foo/2')).status).toBe(404);
  });

  it('answers latestRevision for several entities at once', async () => {
    const result = await store.execute(LatestRevisionsDocument, { a: 'cs:~kirk/foo', b: 'cs:~kirk/bundle/wiki', c: 'cs:~kirk/bar' }, { token: kirk });
    expect(result.data).toEqual({
      a: { latestRevision: { number: 2, sha384: sha384Hex(archives[2]!) } },
      b: { latestRevision: { number: 0, sha384: expect.stringMatching(/^[0-9a-f]{96}$/) } },
      c: { latestRevision: { number: 0, sha384: expect.stringMatching(/^[0-9a-f]{96}$/) } },
    });
  });

  it('answers latestRevision for a page of entities with one SQL statement on revisions', async () => {
    const statements: string[] = [];
    const stop = store.database.db.onStatement((sql) => statements.push(sql));
    let result;
    try {
      result = await store.execute(LatestRevisionPageDocument, { owner: 'kirk', first: 10 }, { token: kirk });
    } finally {
      stop();
    }
    const latest = Object.fromEntries(result.data?.entities.edges.map((edge) => [edge.node.url, edge.node.latestRevision?.number]) ?? []);
    expect(latest).toEqual({ 'cs:~kirk/foo': 2, 'cs:~kirk/bundle/wiki': 0, 'cs:~kirk/bar': 0 });
    // Statements whose main table is Revision (others join it, e.g. the channel pointers' revision numbers).
    expect(statements.filter((sql) => /FROM\s+"(\w+"\.")?Revision"\s+AS\s+"t0"/i.test(sql))).toHaveLength(1);
  });

  it('loads the revisions of N entities asked for together with one SQL statement', async () => {
    // What a list field does: all its rows ask in the same tick.
    const prisma = store.database.db.prisma;
    const entities = await prisma.entity.findMany({ select: { id: true, nextRevision: true } });
    expect(entities.length).toBeGreaterThanOrEqual(3);
    const ctx = { prisma, sql: store.database.db.sql, actor: null, now: () => new Date(), settings: store.settings, blobs: store.blobs, events: new InProcessEventBus(), logger: console };
    const statements: string[] = [];
    const stop = store.database.db.onStatement((sql) => statements.push(sql));
    let latest;
    try {
      const loader = revisionLoader(ctx, { select: { number: true, sha384: true } });
      latest = await Promise.all(entities.map((entity) => loader.load({ entityId: entity.id, number: entity.nextRevision - 1 })));
    } finally {
      stop();
    }
    expect(latest.map((row) => row?.number)).toEqual(entities.map((entity) => entity.nextRevision - 1));
    expect(statements).toHaveLength(1);
  });
});

function sha384Hex(buffer: Buffer): string {
  return createHash('sha384').update(buffer).digest('hex');
}

describe('downloads', () => {
  const sha384 = (buffer: Buffer) => createHash('sha384').update(buffer).digest('hex');
  const sha256 = (buffer: Buffer) => createHash('sha256').update(buffer).digest('base64');

  it('streams the archive with its length, digests and name', async () => {
    const response = await store.request('/archives/~kirk/foo/0', { token: kirk });
    expect(response.status).toBe(200);
    const body = Buffer.from(await response.arrayBuffer());
    expect(body.equals(archives[0]!)).toBe(true);
    expect(Object.fromEntries(response.headers)).toMatchObject({
      'content-type': 'application/zip',
      'content-length': String(archives[0]!.length),
      etag: `"${sha384(archives[0]!)}"`,
      digest: `sha-256=${sha256(archives[0]!)}`,
      'content-digest': `sha-256=:${sha256(archives[0]!)}:`,
      'repr-digest': `sha-256=:${sha256(archives[0]!)}:`,
      'content-disposition': 'attachment; filename="foo-0.zip"',
      'accept-ranges': 'bytes',
    });
  });

  it('serves the downloadUrl of a bundle revision', async () => {
    const response = await store.request('/archives/~kirk/bundle/wiki/0', { token: kirk });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-disposition')).toBe('attachment; filename="wiki-0.zip"');
  });

  it('answers byte ranges with 206, and 416 past the end', async () => {
    const archive = archives[1]!;
    const partial = await store.request('/archives/~kirk/foo/1', { token: kirk, headers: { range: 'bytes=10-19' } });
    expect(partial.status).toBe(206);
    expect(partial.headers.get('content-range')).toBe(`bytes 10-19/${archive.length}`);
    expect(partial.headers.get('content-length')).toBe('10');
    expect(partial.headers.get('content-digest')).toBeNull();
    expect(Buffer.from(await partial.arrayBuffer()).equals(archive.subarray(10, 20))).toBe(true);

    const suffix = await store.request('/archives/~kirk/foo/1', { token: kirk, headers: { range: 'bytes=-5' } });
    expect(suffix.status).toBe(206);
    expect(Buffer.from(await suffix.arrayBuffer()).equals(archive.subarray(archive.length - 5))).toBe(true);

    const open = await store.request('/archives/~kirk/foo/1', { token: kirk, headers: { range: `bytes=${archive.length - 3}-` } });
    expect(Buffer.from(await open.arrayBuffer()).equals(archive.subarray(archive.length - 3))).toBe(true);

    const beyond = await store.request('/archives/~kirk/foo/1', { token: kirk, headers: { range: `bytes=${archive.length}-` } });
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get('content-range')).toBe(`bytes */${archive.length}`);

    const stale = await store.request('/archives/~kirk/foo/1', { token: kirk, headers: { range: 'bytes=0-1', 'if-range': '"other"' } });
    expect(stale.status).toBe(200);
  });

  it('answers 304 when the ETag matches, and HEAD without a body', async () => {
    const etag = `"${sha384(archives[2]!)}"`;
    const notModified = await store.request('/archives/~kirk/foo/2', { token: kirk, headers: { 'if-none-match': `"x", ${etag}` } });
    expect(notModified.status).toBe(304);
    expect(notModified.headers.get('etag')).toBe(etag);
    const head = await store.request('/archives/~kirk/foo/2', { token: kirk, method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(archives[2]!.length));
    expect((await head.arrayBuffer()).byteLength).toBe(0);
  });

  it('is 404 for what is missing or private, 401 for a bad token', async () => {
    const bar = '/archives/~kirk/bar/0';
    expect((await store.request(bar, { token: kirk })).status).toBe(200);
    expect((await store.request(bar, { token: spock })).status).toBe(404);
    expect((await store.request(bar)).status).toBe(404);
    expect((await store.request('/archives/~kirk/bar/1', { token: kirk })).status).toBe(404);
    expect((await store.request('/archives/~kirk/nothing/0', { token: kirk })).status).toBe(404);
    expect((await store.request('/archives/~kirk/bar/x', { token: kirk })).status).toBe(404);
    const bad = await store.request(bar, { headers: { authorization: 'Bearer nope' } });
    expect(bad.status).toBe(401);
    expect(await bad.json()).toEqual({ error: 'The bearer token is malformed; sign in again with the login mutation' });
  });
});
