import fs from 'node:fs/promises';
import { expect } from 'vitest';
import path from 'node:path';
import { PushDocument, type PushMutation } from '../generated/graphql.js';
import type { GraphQLResponse, TestStore } from './store.js';

/** Pushes an archive through a GraphQL multipart request. */
export function pushArchive(
  store: TestStore,
  token: string,
  zip: Buffer,
  url?: string,
  filename = 'archive.zip',
): Promise<GraphQLResponse<PushMutation>> {
  return store.executeMultipart(PushDocument, { input: { archive: null, url } }, { 'input.archive': new File([new Uint8Array(zip)], filename) }, { token });
}

/** Pushes and returns the success, failing the test on anything else. */
export async function pushOk(store: TestStore, token: string, zip: Buffer, url?: string, filename?: string) {
  const result = await pushArchive(store, token, zip, url, filename);
  if (result.data?.push.__typename !== 'PushSuccess') throw new Error(`push failed: ${JSON.stringify(result)}`);
  return result.data.push;
}

/** Streams content to POST /uploads and returns its JSON answer. */
export async function upload(store: TestStore, token: string, content: Buffer): Promise<{ uploadId: string; sha384: string; size: number }> {
  const response = await store.request('/uploads', { method: 'POST', token, body: new Uint8Array(content) });
  if (response.status !== 201) throw new Error(`upload failed: ${response.status} ${await response.text()}`);
  return (await response.json()) as { uploadId: string; sha384: string; size: number };
}

/** Every file under a directory, relative, sorted. */
export async function listFiles(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)))
    .sort();
}

/** What a refused operation must leave unchanged: row counts, revision counters and the blob directory. */
export async function storeState(store: TestStore) {
  const prisma = store.database.db.prisma;
  const [entities, revisions, resources, resourceRevisions, uploads, usedUploads, audit, acl, tracks, counters, resourceCounters, blobs] = await Promise.all([
    prisma.entity.count(),
    prisma.revision.count(),
    prisma.resource.count(),
    prisma.resourceRevision.count(),
    prisma.upload.count(),
    prisma.upload.count({ where: { usedAt: { not: null } } }),
    prisma.auditEvent.count(),
    prisma.aclEntry.count(),
    prisma.track.count(),
    prisma.entity.aggregate({ _sum: { nextRevision: true } }),
    prisma.resource.aggregate({ _sum: { nextRevision: true } }),
    listFiles(store.blobDir),
  ]);
  return {
    entities,
    revisions,
    resources,
    resourceRevisions,
    uploads,
    usedUploads,
    audit,
    acl,
    tracks,
    nextRevisions: counters._sum.nextRevision ?? 0,
    nextResourceRevisions: resourceCounters._sum.nextRevision ?? 0,
    blobs,
  };
}

/** Runs a refused operation and checks it left the store exactly as it was. */
export async function expectStoreUnchanged(store: TestStore, refused: () => Promise<unknown>): Promise<void> {
  const before = await storeState(store);
  await refused();
  expect(await storeState(store)).toEqual(before);
}

/** A duplicate push creates nothing, but its attempt is on the audit record as `action`. */
export async function expectOnlyAudited(store: TestStore, action: string, run: () => Promise<unknown>): Promise<void> {
  const before = await storeState(store);
  await run();
  expect(await storeState(store)).toEqual({ ...before, audit: before.audit + 1 });
  const last = await store.database.db.prisma.auditEvent.findFirst({ orderBy: { id: 'desc' } });
  expect(last?.action).toBe(action);
}
