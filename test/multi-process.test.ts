import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { S3BlobStore } from '../src/blobs/s3-blob-store.js';
import { openPostgresDatabase, type Database } from '../src/db/database.js';
import { collectGarbage, type GarbageReport } from '../src/services/blobs/collect-garbage.js';
import { changesAfter } from '../src/services/live/change-feed.js';
import { EntityChangedDocument } from './generated/graphql.js';
import { testDatabaseKind, testDatabaseUrl, withAdminClient } from './support/database.js';
import { subscribeSse, subscribeWs, type Collected } from './support/live.js';
import { serverGraphql, startServer, type ServerProcess } from './support/process.js';
import { killProcessGroup, TEST_RUN_MARKER } from './support/process-tree.js';
import { startS3Server, type TestS3Server } from './support/s3.js';
import { SERVER_START_MS, timeLimitFor } from './support/timing.js';
import { charmZip } from './support/zip.js';

/**
 * Three store processes on one PostgreSQL schema and one S3 bucket
 * (s3rver), started together on a fresh schema (they migrate it at once),
 * with requests spread round-robin over them: pushes (multipart, and POST
 * /uploads on one process then push on another), resource pushes,
 * releases, downloads from any, uploads left to expire and their bytes
 * pushed again; collectors in this process and in `npm run blobs:gc`
 * processes running back to back with no grace, besides each store's own
 * collection at start; subscribers (SSE on one process, graphql-ws on
 * another, resumed with `after` elsewhere when that one dies); one process
 * killed -9 (with its whole process group) and a replacement started
 * mid-run. Then: every acknowledged write is in the database, its blob in
 * the bucket with the content its digest names, and every process serves
 * it; the subscribers saw every change, in order, once. PostgreSQL only:
 * PGlite is one process's database.
 */
const ADMIN = { STORE_ADMIN_USERNAME: 'root', STORE_ADMIN_PASSWORD: 'correct-horse-battery' };
const ENTITIES = ['scale-a', 'scale-b'];
const WORKERS = 4;
const PREFIX = `multi-${randomBytes(4).toString('hex')}/`;
const ROOT = path.resolve(import.meta.dirname, '..');
/** How long a phase may wait for the writes it expects: a loaded machine is slow, never this slow. */
const PHASE_MS = 2 * SERVER_START_MS;
/** Uploads expire this fast, so abandoned ones become garbage during the run. */
const UPLOAD_TTL_SECONDS = 3;

const PUSH = 'mutation($input: PushInput!) { push(input: $input) { __typename ... on PushSuccess { revision { number sha384 downloadUrl } } ... on Error { message } } }';
const PUSH_RESOURCE =
  'mutation($input: PushResourceInput!) { pushResource(input: $input) { __typename ... on PushResourceSuccess { resourceRevision { revision sha384 downloadUrl } } ... on Error { message } } }';
const RELEASE = 'mutation($input: ReleaseInput!) { release(input: $input) { __typename ... on Error { message } } }';
const LOGIN = 'mutation { login(input: {username: "root", password: "correct-horse-battery"}) { ... on LoginSuccess { token } } }';

interface Acked {
  kind: 'push' | 'resource';
  entity: string;
  number: number;
  sha384: string;
  downloadUrl: string;
}

interface Change {
  eventId: string;
  kind: string;
  url: string;
}
const pickChange = (data: { entityChanged: { eventId: string; kind: string; entity: { url: string } } }): Change => ({
  eventId: data.entityChanged.eventId,
  kind: data.entityChanged.kind,
  url: data.entityChanged.entity.url,
});

const postgres = testDatabaseKind() === 'postgres';
const schema = `multi_${randomBytes(6).toString('hex')}`;
/**
 * The role of STORE_DATABASE_DIRECT_URL (what PgBouncer deployments set to
 * reach the server itself): a role of its own, so the test can tell which
 * connections used it. Roles belong to the cluster: dropped at the end.
 */
const directRole = `${schema}_direct`;
let s3: TestS3Server;
const dataDirs: string[] = [];
/** The processes, in the order requests go round. */
const servers: ServerProcess[] = [];

function schemaUrl(role?: string): string {
  const url = new URL(testDatabaseUrl());
  url.searchParams.set('schema', schema);
  if (role !== undefined) url.username = role;
  return url.toString();
}

async function serverEnv(): Promise<Record<string, string>> {
  // Each process its own data directory (its lock file), one database and one bucket for all.
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'charmstore-multi-'));
  dataDirs.push(dataDir);
  return {
    ...ADMIN,
    ...s3.env(PREFIX),
    DATABASE_URL: schemaUrl(),
    STORE_DATABASE_DIRECT_URL: schemaUrl(directRole),
    STORE_DATA_DIR: dataDir,
    STORE_BLOB_GC_GRACE_SECONDS: '1',
    STORE_UPLOAD_TTL_SECONDS: String(UPLOAD_TTL_SECONDS),
    STORE_LOG_LEVEL: 'warn',
    STORE_DB_POOL_SIZE: '4',
  };
}

beforeAll(async () => {
  if (!postgres) return;
  s3 = await startS3Server();
  await withAdminClient((client) => client.query(`CREATE ROLE "${directRole}" SUPERUSER LOGIN`));
  // Three processes at once on a schema that does not exist yet: each runs the migrations at start.
  const envs = [await serverEnv(), await serverEnv(), await serverEnv()];
  servers.push(...(await Promise.all(envs.map((env) => startServer(env, { startMs: 3 * SERVER_START_MS })))));
}, timeLimitFor(4));

afterAll(async () => {
  // Killed with their process groups (migration children included) by the set-up file too; this is for the schema.
  for (const server of servers) await server.stop('SIGKILL');
  await s3?.close();
  for (const dir of dataDirs) await fs.rm(dir, { recursive: true, force: true });
  if (postgres) {
    await withAdminClient(async (client) => {
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await client.query(`DROP ROLE IF EXISTS "${directRole}"`);
    });
  }
});

async function download(server: ServerProcess, token: string, downloadUrl: string): Promise<string> {
  const response = await fetch(new URL(new URL(downloadUrl, 'http://x').pathname, server.url), { headers: { authorization: `Bearer ${token}` } });
  if (response.status !== 200) throw new Error(`download ${downloadUrl} from ${server.url}: ${response.status}`);
  return createHash('sha384').update(Buffer.from(await response.arrayBuffer())).digest('hex');
}

/**
 * `npm run blobs:gc` as its own process, the way an operator's timer runs
 * it next to the stores, in a process group of its own (killed whole if the
 * test ends first). Resolves with its report, or null when it failed.
 */
function runBlobsGc(env: Record<string, string>): Promise<GarbageReport | null> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts/blobs-gc.ts')], {
      cwd: ROOT,
      env: { ...process.env, [TEST_RUN_MARKER]: process.env[TEST_RUN_MARKER] ?? 'outside-vitest', ...env, STORE_BLOB_GC_GRACE_SECONDS: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.resume();
    const timer = setTimeout(() => killProcessGroup(child.pid), 2 * SERVER_START_MS);
    child.on('exit', (code) => {
      clearTimeout(timer);
      killProcessGroup(child.pid);
      const line = stdout.trim().split('\n').at(-1) ?? '';
      resolve(code === 0 && line.startsWith('{') ? (JSON.parse(line) as GarbageReport) : null);
    });
  });
}

describe.skipIf(!postgres)('three store processes on one PostgreSQL and one S3 bucket', () => {
  it('started together on a fresh schema, they applied every migration once', async () => {
    const expected = (await fs.readdir(path.join(ROOT, 'prisma/migrations'), { withFileTypes: true })).filter((entry) => entry.isDirectory()).map((entry) => entry.name).sort();
    const rows = await withAdminClient((client) =>
      client.query<{ migration_name: string; finished: boolean; rolled_back: boolean }>(
        `SELECT migration_name, finished_at IS NOT NULL AS finished, rolled_back_at IS NOT NULL AS rolled_back FROM "${schema}"._prisma_migrations ORDER BY migration_name`,
      ),
    );
    expect(rows.rows.map((row) => row.migration_name)).toEqual(expected);
    expect(rows.rows.every((row) => row.finished && !row.rolled_back)).toBe(true);
    // Through STORE_DATABASE_DIRECT_URL: its role owns what the migrations created.
    const owners = await withAdminClient((client) => client.query<{ owner: string }>('SELECT DISTINCT tableowner AS owner FROM pg_tables WHERE schemaname = $1', [schema]));
    expect(owners.rows.map((row) => row.owner)).toEqual([directRole]);
    // And all three serve the same store.
    for (const server of servers) expect((await fetch(`${server.url}/readiness`)).status).toBe(200);
  });

  it("serve each other's writes and subscribers, survive kill -9 of one, and lose nothing acknowledged to the collectors", async () => {
    const acked: Acked[] = [];
    const releases: Array<{ entity: string; number: number }> = [];
    const unexpected: string[] = [];
    const crossDownloads = { ok: 0 };
    const reports: GarbageReport[] = [];
    const gcProcessReports: Array<GarbageReport | null> = [];
    // The servers migrated it (the test above checks): no schema engine here.
    const collectorDb: Database = await openPostgresDatabase(testDatabaseUrl(), schema, { alreadyMigrated: true });
    const blobs = new S3BlobStore({ client: s3.client, bucket: s3.bucket, prefix: PREFIX, presignSeconds: 0 });
    const subscriptions: Array<Collected<Change>> = [];
    try {
      const login = await serverGraphql(servers[0]!, undefined, LOGIN, {});
      const token = login.data?.login.token as string;
      expect(token).toBeTruthy();

      // Each entity exists (pushed through B and C) before anyone subscribes to it.
      for (const [index, entity] of ENTITIES.entries()) {
        const archive = charmZip({ name: entity, resources: { data: { type: 'file' } }, revisionNote: 'first' });
        const result = await serverGraphql(servers[1 + index]!, token, PUSH, { input: { url: `~root/${entity}`, archive: null } }, { 'input.archive': new Blob([new Uint8Array(archive)]) });
        const push = result.data?.push;
        if (push?.__typename !== 'PushSuccess') throw new Error(`first push: ${JSON.stringify(result)}`);
        acked.push({ kind: 'push', entity, number: push.revision.number, sha384: push.revision.sha384, downloadUrl: push.revision.downloadUrl });
        // A release needs a revision of every declared resource.
        const content = randomBytes(4096);
        const resource = await serverGraphql(servers[2 - index]!, token, PUSH_RESOURCE, { input: { url: `~root/${entity}`, name: 'data', file: null } }, { 'input.file': new Blob([new Uint8Array(content)]) });
        const pushed = resource.data?.pushResource;
        if (pushed?.__typename !== 'PushResourceSuccess') throw new Error(`first resource: ${JSON.stringify(resource)}`);
        acked.push({ kind: 'resource', entity, number: pushed.resourceRevision.revision, sha384: createHash('sha384').update(content).digest('hex'), downloadUrl: pushed.resourceRevision.downloadUrl });
      }
      const urls = ENTITIES.map((entity) => `cs:~root/${entity}`);
      // A (never killed) over SSE, every entity; B (to be killed) over graphql-ws, the first entity.
      // From the start (`after: 0`): the first pushes arrive once each subscription is live.
      const onA = subscribeSse(servers[0]!.url, EntityChangedDocument, { urls, after: '0' }, pickChange, { token });
      const onB = subscribeWs(servers[1]!.url, EntityChangedDocument, { urls: [urls[0]!], after: '0' }, pickChange, { token });
      subscriptions.push(onA, onB);
      await onA.waitFor((events) => events.length >= 2 * ENTITIES.length, PHASE_MS);
      await onB.waitFor((events) => events.length >= 2, PHASE_MS);
      // Each process LISTENs (from its first subscriber on) through STORE_DATABASE_DIRECT_URL; its pool uses DATABASE_URL.
      const listeners = await withAdminClient((client) =>
        client.query<{ role: string }>("SELECT usename AS role FROM pg_stat_activity WHERE application_name LIKE 'charmstore-listen %' AND usename = $1", [directRole]),
      );
      expect(listeners.rows.length).toBeGreaterThanOrEqual(2);

      let running = true;
      // However the test ends (a failure, its time limit), the loops below stop with it rather than run on in this worker.
      onTestFinished(() => {
        running = false;
      });
      let turn = 0;
      /** Round-robin over the live processes; a request to one being killed fails and is not acknowledged. */
      let alive = [...servers];
      const next = () => alive[turn++ % alive.length]!;
      const answer = (result: { data?: Record<string, any> | null; errors?: unknown[] }, field: string) => {
        const value = result.data?.[field];
        // 503 (a pool wait on a loaded machine) is an honest refusal; anything else unexplained is a defect.
        if (!value && !JSON.stringify(result.errors ?? '').includes('SERVICE_UNAVAILABLE')) unexpected.push(JSON.stringify(result));
        return value;
      };
      const worker = async (w: number) => {
        const entity = ENTITIES[w % ENTITIES.length]!;
        const url = `~root/${entity}`;
        let abandoned: Buffer | undefined;
        for (let step = 0; running; step += 1) {
          try {
            const latest = acked.filter((a) => a.kind === 'push' && a.entity === entity).at(-1)!;
            const op = (w + step) % 5;
            if (op === 0 || op === 1 || op === 4) {
              // op 4: the bytes of an upload left to expire (garbage once it has), pushed again: the collector races them.
              const archive = op === 4 && abandoned ? abandoned : charmZip({ name: entity, resources: { data: { type: 'file' } }, revisionNote: randomBytes(8).toString('hex') });
              let result;
              if (op === 1) {
                // Upload to one process, push on another.
                const uploaded = await fetch(`${next().url}/uploads`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: new Uint8Array(archive) });
                if (uploaded.status !== 201) {
                  if (uploaded.status !== 503) unexpected.push(`upload: ${uploaded.status} ${await uploaded.text()}`);
                  continue;
                }
                const { uploadId } = (await uploaded.json()) as { uploadId: string };
                result = await serverGraphql(next(), token, PUSH, { input: { url, uploadId } });
              } else {
                result = await serverGraphql(next(), token, PUSH, { input: { url, archive: null } }, { 'input.archive': new Blob([new Uint8Array(archive)]) });
              }
              const push = answer(result, 'push');
              if (push?.__typename === 'PushSuccess') {
                expect(push.revision.sha384).toBe(createHash('sha384').update(archive).digest('hex'));
                acked.push({ kind: 'push', entity, number: push.revision.number, sha384: push.revision.sha384, downloadUrl: push.revision.downloadUrl });
              } else if (push && !(op === 1 && push.__typename === 'ValidationError')) {
                // An upload may expire before its push on a loaded machine; nothing else is refused here.
                unexpected.push(JSON.stringify(push));
              }
              if (op === 4) {
                abandoned = charmZip({ name: entity, resources: { data: { type: 'file' } }, revisionNote: randomBytes(8).toString('hex') });
                await fetch(`${next().url}/uploads`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: new Uint8Array(abandoned) });
              }
            } else if (op === 2) {
              const content = randomBytes(4096);
              const result = await serverGraphql(next(), token, PUSH_RESOURCE, { input: { url, name: 'data', file: null } }, { 'input.file': new Blob([new Uint8Array(content)]) });
              const pushed = answer(result, 'pushResource');
              if (pushed?.__typename === 'PushResourceSuccess') {
                const sha384 = createHash('sha384').update(content).digest('hex');
                acked.push({ kind: 'resource', entity, number: pushed.resourceRevision.revision, sha384, downloadUrl: pushed.resourceRevision.downloadUrl });
              } else if (pushed) unexpected.push(JSON.stringify(pushed));
            } else {
              const result = await serverGraphql(next(), token, RELEASE, { input: { url: `${url}-${latest.number}`, channels: ['edge', 'beta'] } });
              const released = answer(result, 'release');
              if (released?.__typename === 'ReleaseSuccess') releases.push({ entity, number: latest.number });
              else if (released) unexpected.push(JSON.stringify(released));
              // And a download, from whichever process comes next, of something acknowledged by any.
              const earlier = acked[Math.floor(Math.random() * acked.length)]!;
              expect(await download(next(), token, earlier.downloadUrl)).toBe(earlier.sha384);
              crossDownloads.ok += 1;
            }
          } catch (error) {
            // A request cut by the kill is not acknowledged (fetch fails: TypeError); anything else fails the test.
            if (!(error instanceof TypeError)) throw error;
          }
        }
      };
      // A failing worker or collector stops the others, so the test ends instead of running on in the background.
      const stopOnFailure = (error: unknown) => {
        running = false;
        throw error;
      };
      const collector = (async () => {
        while (running) {
          reports.push(await collectGarbage(collectorDb, blobs, { now: new Date(), graceMs: 0 }));
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      })().catch(stopOnFailure);
      const gcEnv = { ...s3.env(PREFIX), DATABASE_URL: schemaUrl() };
      const gcProcesses = (async () => {
        while (running) {
          gcProcessReports.push(await runBlobsGc(gcEnv));
          await new Promise((resolve) => setTimeout(resolve, 500));
        }
      })();
      const workers = Array.from({ length: WORKERS }, (_, w) => worker(w).catch(stopOnFailure));

      const acks = () => acked.length + releases.length;
      const waitForAcks = async (count: number) => {
        const deadline = Date.now() + PHASE_MS;
        while (acks() < count && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      };
      await waitForAcks(20);
      // kill -9 of B and everything it started; A and C keep serving, then a replacement joins.
      const killed = servers[1]!;
      alive = [servers[0]!, servers[2]!];
      killed.kill();
      expect(await killed.exited).toBeNull();
      await waitForAcks(acks() + 6);
      // B's subscriber lost its connection; it resumes on C after the last event it saw, missing nothing.
      await onB.ended(PHASE_MS);
      const resumed = subscribeWs(servers[2]!.url, EntityChangedDocument, { urls: [urls[0]!], after: onB.events.at(-1)!.eventId }, pickChange, { token });
      subscriptions.push(resumed);
      servers[1] = await startServer(await serverEnv());
      alive = [...servers];
      await waitForAcks(acks() + 20);
      running = false;
      await Promise.all([...workers, collector, gcProcesses]);
      // A fast run can end before any abandoned upload expired: wait out the TTL so the last collection finds them.
      await new Promise((resolve) => setTimeout(resolve, (UPLOAD_TTL_SECONDS + 1) * 1000));
      reports.push(await collectGarbage(collectorDb, blobs, { now: new Date(), graceMs: 0 }));

      expect(unexpected).toEqual([]);
      // Every kind of write was acknowledged, across the processes.
      expect(acked.filter((a) => a.kind === 'push').length).toBeGreaterThan(4);
      expect(acked.filter((a) => a.kind === 'resource').length).toBeGreaterThan(0);
      expect(releases.length).toBeGreaterThan(0);
      expect(crossDownloads.ok).toBeGreaterThan(0);
      // The collectors ran: here (some runs found another busy) and as separate processes.
      expect(reports.filter((report) => !report.busy).length).toBeGreaterThan(0);
      expect(gcProcessReports.length).toBeGreaterThan(0);
      expect(gcProcessReports.every((report) => report !== null)).toBe(true);
      // Abandoned uploads expired and were collected while their bytes were pushed again.
      expect([...reports, ...gcProcessReports].reduce((sum, report) => sum + (report?.removed ?? 0), 0)).toBeGreaterThan(0);

      // Every acknowledged write is in the database, its blob in the bucket, and every process serves it.
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

      // Subscribers saw every committed change (acknowledged or cut by the kill), each once, in commit order
      // per entity: A's over SSE throughout, B's over graphql-ws until the kill and then resumed on C.
      const entityIds = (await prisma.entity.findMany({ where: { name: { in: ENTITIES } }, select: { id: true, name: true } })).map((row) => row.id);
      const committed = await changesAfter(prisma, { entityIds }, 0, 100_000);
      const firstEntityId = (await prisma.entity.findFirstOrThrow({ where: { name: ENTITIES[0] } })).id;
      const committedIds = committed.map((change) => String(change.eventId));
      const firstEntityIds = committed.filter((change) => change.entityId === firstEntityId).map((change) => String(change.eventId));
      expect(committed.filter((change) => change.kind === 'RELEASE').length).toBeGreaterThanOrEqual(releases.length);
      await onA.waitFor((events) => events.length >= committedIds.length, PHASE_MS);
      await resumed.waitFor((events) => onB.events.length + events.length >= firstEntityIds.length, PHASE_MS);
      expect(onA.errors).toEqual([]);
      expect(resumed.errors).toEqual([]);
      expect(onA.events.map((event) => event.eventId).sort((x, y) => Number(x) - Number(y))).toEqual(committedIds);
      for (const url of urls) {
        const seen = onA.events.filter((event) => event.url === url).map((event) => Number(event.eventId));
        expect(seen, url).toEqual([...seen].sort((x, y) => x - y));
      }
      expect([...onB.events, ...resumed.events].map((event) => event.eventId)).toEqual(firstEntityIds);
    } finally {
      for (const subscription of subscriptions) subscription.stop();
      await collectorDb.close();
    }
  }, timeLimitFor(8));
});
