import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3BlobStore } from '../src/blobs/s3-blob-store.js';
import { openPostgresDatabase, type Database } from '../src/db/database.js';
import { collectGarbage, type GarbageReport } from '../src/services/blobs/collect-garbage.js';
import { testDatabaseKind, testDatabaseUrl } from './support/database.js';
import { serverGraphql, startServer, type ServerProcess } from './support/process.js';
import { startS3Server, type TestS3Server } from './support/s3.js';
import { charmZip } from './support/zip.js';
import { scaled } from './support/timing.js';

/**
 * Two store processes on one PostgreSQL schema and one S3 bucket (s3rver),
 * requests spread round-robin over them: pushes (multipart, and POST
 * /uploads on one process then push on the other), resource pushes,
 * releases, downloads from both; a collector in this process (a third
 * participant) running back to back with no grace; one process killed -9
 * and restarted mid-run. Then: every acknowledged write is in the database,
 * its blob in the bucket with the content its digest names, and both
 * processes serve it. PostgreSQL only: PGlite is one process's database.
 */
const ADMIN = { STORE_ADMIN_USERNAME: 'root', STORE_ADMIN_PASSWORD: 'correct-horse-battery' };
const ENTITIES = ['scale-a', 'scale-b'];
const WORKERS = 4;
const PREFIX = `multi-${randomBytes(4).toString('hex')}/`;

const PUSH = 'mutation($input: PushInput!) { push(input: $input) { __typename ... on PushSuccess { revision { number sha384 downloadUrl } } ... on Error { message } } }';
const PUSH_RESOURCE =
  'mutation($input: PushResourceInput!) { pushResource(input: $input) { __typename ... on PushResourceSuccess { resourceRevision { revision sha384 downloadUrl } } ... on Error { message } } }';
const RELEASE = 'mutation($input: ReleaseInput!) { release(input: $input) { __typename ... on Error { message } } }';

interface Acked {
  kind: 'push' | 'resource';
  entity: string;
  number: number;
  sha384: string;
  downloadUrl: string;
}

const postgres = testDatabaseKind() === 'postgres';
const schema = `multi_${randomBytes(6).toString('hex')}`;
let s3: TestS3Server;
const dataDirs: string[] = [];

beforeAll(async () => {
  if (postgres) s3 = await startS3Server();
});
afterAll(async () => {
  await s3?.close();
  for (const dir of dataDirs) await fs.rm(dir, { recursive: true, force: true });
  if (postgres) {
    const client = new pg.Client({ connectionString: testDatabaseUrl() });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.end();
  }
});

async function serverEnv(): Promise<Record<string, string>> {
  const url = new URL(testDatabaseUrl());
  url.searchParams.set('schema', schema);
  // Each process its own data directory (its lock file), one database and one bucket for all.
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'charmstore-multi-'));
  dataDirs.push(dataDir);
  return { ...ADMIN, ...s3.env(PREFIX), DATABASE_URL: url.toString(), STORE_DATA_DIR: dataDir, STORE_BLOB_GC_GRACE_SECONDS: '1', STORE_LOG_LEVEL: 'warn', STORE_DB_POOL_SIZE: '4' };
}


async function download(server: ServerProcess, token: string, downloadUrl: string): Promise<string> {
  const response = await fetch(new URL(new URL(downloadUrl, 'http://x').pathname, server.url), { headers: { authorization: `Bearer ${token}` } });
  if (response.status !== 200) throw new Error(`download ${downloadUrl} from ${server.url}: ${response.status}`);
  return createHash('sha384').update(Buffer.from(await response.arrayBuffer())).digest('hex');
}

describe.skipIf(!postgres)('two store processes on one PostgreSQL and one S3 bucket', () => {
  it('serve each other\'s writes, survive kill -9 of one, and lose nothing acknowledged to the collector', async () => {
    const servers: ServerProcess[] = [await startServer(await serverEnv()), await startServer(await serverEnv())];
    const acked: Acked[] = [];
    const releases: Array<{ entity: string; number: number }> = [];
    const crossDownloads = { ok: 0 };
    const reports: GarbageReport[] = [];
    const collectorDb: Database = await openPostgresDatabase(testDatabaseUrl(), schema);
    const blobs = new S3BlobStore({ client: s3.client, bucket: s3.bucket, prefix: PREFIX, presignSeconds: 0 });
    try {
      const login = await serverGraphql(servers[0]!, undefined, 'mutation { login(input: {username: "root", password: "correct-horse-battery"}) { ... on LoginSuccess { token } } }', {});
      const token = login.data?.login.token as string;
      expect(token).toBeTruthy();

      let running = true;
      let turn = 0;
      /** Round-robin over the processes; a request to one being killed fails and is not acknowledged. */
      const next = () => servers[turn++ % servers.length]!;
      const worker = async (w: number) => {
        const entity = ENTITIES[w % ENTITIES.length]!;
        const url = `~root/${entity}`;
        for (let step = 0; running; step += 1) {
          try {
            const latest = acked.filter((a) => a.kind === 'push' && a.entity === entity).at(-1);
            const op = latest ? (w + step) % 4 : 0;
            if (op === 0 || op === 1) {
              const archive = charmZip({ name: entity, resources: { data: { type: 'file' } }, revisionNote: randomBytes(8).toString('hex') });
              let result;
              if (op === 0) {
                result = await serverGraphql(next(), token, PUSH, { input: { url, archive: null } }, { 'input.archive': new Blob([new Uint8Array(archive)]) });
              } else {
                // Upload to one process, push on the other.
                const uploaded = await fetch(`${next().url}/uploads`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: new Uint8Array(archive) });
                if (uploaded.status !== 201) continue;
                const { uploadId } = (await uploaded.json()) as { uploadId: string };
                result = await serverGraphql(next(), token, PUSH, { input: { url, uploadId } });
              }
              const push = result.data?.push;
              if (push?.__typename === 'PushSuccess') {
                expect(push.revision.sha384).toBe(createHash('sha384').update(archive).digest('hex'));
                acked.push({ kind: 'push', entity, number: push.revision.number, sha384: push.revision.sha384, downloadUrl: push.revision.downloadUrl });
              }
            } else if (op === 2) {
              const content = randomBytes(4096);
              const result = await serverGraphql(next(), token, PUSH_RESOURCE, { input: { url, name: 'data', file: null } }, { 'input.file': new Blob([new Uint8Array(content)]) });
              const pushed = result.data?.pushResource;
              if (pushed?.__typename === 'PushResourceSuccess') {
                const sha384 = createHash('sha384').update(content).digest('hex');
                acked.push({ kind: 'resource', entity, number: pushed.resourceRevision.revision, sha384, downloadUrl: pushed.resourceRevision.downloadUrl });
              }
            } else {
              const result = await serverGraphql(next(), token, RELEASE, { input: { url: `${url}-${latest!.number}`, channels: ['edge', 'beta'] } });
              if (result.data?.release.__typename === 'ReleaseSuccess') releases.push({ entity, number: latest!.number });
              // And a download, from whichever process comes next, of something acknowledged by either.
              const earlier = acked[Math.floor(Math.random() * acked.length)]!;
              expect(await download(next(), token, earlier.downloadUrl)).toBe(earlier.sha384);
              crossDownloads.ok += 1;
            }
          } catch (error) {
            // A request cut by the kill is not acknowledged; anything else (a wrong digest) fails the test.
            if (!(error instanceof TypeError) && !/download .*: 5\d\d/.test(String(error))) throw error;
          }
        }
      };
      const collector = (async () => {
        while (running) {
          reports.push(await collectGarbage(collectorDb, blobs, { now: new Date(), graceMs: 0 }));
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      })();
      const workers = Array.from({ length: WORKERS }, (_, w) => worker(w));

      const waitForAcks = async (count: number) => {
        const started = Date.now();
        while (acked.length + releases.length < count && Date.now() - started < 60_000) await new Promise((resolve) => setTimeout(resolve, 50));
      };
      await waitForAcks(12);
      // kill -9 one process mid-run; the other keeps serving; then a replacement joins.
      await servers[1]!.stop('SIGKILL');
      const survivorOnly = acked.length + releases.length;
      servers[1] = servers[0]!;
      await waitForAcks(survivorOnly + 4);
      servers[1] = await startServer(await serverEnv());
      await waitForAcks(acked.length + releases.length + 12);
      running = false;
      await Promise.all([...workers, collector]);
      reports.push(await collectGarbage(collectorDb, blobs, { now: new Date(), graceMs: 0 }));

      // Every kind of write was acknowledged, across both processes.
      expect(acked.filter((a) => a.kind === 'push').length).toBeGreaterThan(2);
      expect(acked.filter((a) => a.kind === 'resource').length).toBeGreaterThan(0);
      expect(releases.length).toBeGreaterThan(0);
      expect(crossDownloads.ok).toBeGreaterThan(0);
      // The collector ran across both processes' writes (some runs found the other collectors busy).
      expect(reports.filter((report) => !report.busy).length).toBeGreaterThan(0);

      // Every acknowledged write is in the database, its blob in the bucket, and both processes serve it.
      const { prisma } = collectorDb;
      for (const write of acked) {
        const stored =
          write.kind === 'push'
            ? await prisma.revision.findFirst({ where: { entity: { name: write.entity }, number: write.number } })
            : await prisma.resourceRevision.findFirst({ where: { resource: { entity: { name: write.entity } }, revision: write.number } });
        expect(stored?.sha384, `${write.kind} ${write.entity} ${write.number}`).toBe(write.sha384);
        expect(await blobs.size(write.sha384), write.sha384).not.toBeNull();
        for (const server of servers) expect(await download(server, token, write.downloadUrl)).toBe(write.sha384);
      }
      for (const release of releases) {
        const history = await prisma.release.findMany({ where: { channel: { entity: { name: release.entity }, risk: 'EDGE', branch: '' } }, include: { revision: true } });
        expect(history.map((entry) => entry.revision?.number)).toContain(release.number);
      }
    } finally {
      await collectorDb.close();
      for (const server of servers) await server.stop('SIGKILL');
    }
  }, scaled(300_000));
});
