import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openPgliteDatabase, openPostgresDatabase, type Database } from '../src/db/database.js';
import { testDatabaseKind, testDatabaseUrl, withAdminClient, withMigratedDatabase } from './support/database.js';
import { serverGraphql, startServer } from './support/process.js';
import { SERVER_START_MS, timeLimitFor } from './support/timing.js';
import { charmZip } from './support/zip.js';

/**
 * Kills per run: 10 on PostgreSQL; 3 on PGlite, whose every start boots the
 * WASM database and recovers it (~10 s on a loaded 2-core machine; ~2.5 s of
 * CPU per cycle, the suite's budget). Three kills at random moments of four
 * writers doing three kinds of write each recover a database killed mid-write
 * three times over (the fourth start recovers the third kill); the PostgreSQL
 * run and CRASH_TEST_KILLS (which overrides both) are for more cycles.
 */
const KILLS = Number(process.env.CRASH_TEST_KILLS) || (testDatabaseKind() === 'pglite' ? 3 : 10);
const WORKERS = 4;
/** Two workers per entity: pushes and releases race on one entity lock too. */
const ENTITIES = ['crash0', 'crash1'];
const ADMIN = { STORE_ADMIN_USERNAME: 'root', STORE_ADMIN_PASSWORD: 'correct-horse-battery' };

interface AckedPush {
  entity: string;
  number: number;
  sha384: string;
}
interface AckedResource {
  entity: string;
  revision: number;
  sha384: string;
}
interface AckedRelease {
  entity: string;
  revision: number;
}

const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'charmstore-crash-'));
const schema = `crash_${randomBytes(6).toString('hex')}`;
afterAll(async () => {
  await fs.rm(dataDir, { recursive: true, force: true });
});

// The embedded database starts from the migrated snapshot (no initdb and migrations on the first start).
if (testDatabaseKind() === 'pglite') await withMigratedDatabase(dataDir);

function serverEnv(): Record<string, string> {
  // Crash leftovers are collected at every start; a short grace makes that collector race the writes.
  const env = { ...ADMIN, STORE_DATA_DIR: dataDir, STORE_BLOB_GC_GRACE_SECONDS: '1', STORE_LOG_LEVEL: 'warn' };
  if (testDatabaseKind() === 'pglite') return env;
  const url = new URL(testDatabaseUrl());
  url.searchParams.set('schema', schema);
  return { ...env, DATABASE_URL: url.toString() };
}


const PUSH = 'mutation($input: PushInput!) { push(input: $input) { __typename ... on PushSuccess { revision { number sha384 } } ... on Error { message } } }';
const PUSH_RESOURCE =
  'mutation($input: PushResourceInput!) { pushResource(input: $input) { __typename ... on PushResourceSuccess { resourceRevision { revision sha384 } } ... on Error { message } } }';
const RELEASE = 'mutation($input: ReleaseInput!) { release(input: $input) { __typename ... on Error { message } } }';

/**
 * Kill -9 of the server process, KILLS times, each in the middle of
 * concurrent pushes, resource pushes and two-channel releases (and the
 * start-up blob collector with a 1 s grace); then the invariants on what is
 * stored, and every write the server acknowledged.
 */
describe('kill -9 during mixed writes', () => {
  it('keeps numbering, channel pointers, releases, blobs and every acknowledged write intact', async () => {
    const pushes: AckedPush[] = [];
    const resources: AckedResource[] = [];
    const releases: AckedRelease[] = [];
    let token: string | undefined;

    for (let kill = 0; kill < KILLS; kill += 1) {
      const server = await startServer(serverEnv());
      try {
        if (!token) {
          const login = await serverGraphql(server, undefined, 'mutation { login(input: {username: "root", password: "correct-horse-battery"}) { ... on LoginSuccess { token } } }', {});
          token = login.data?.login.token as string;
        }
        let running = true;
        const ackedBefore = pushes.length + resources.length + releases.length;
        const worker = async (w: number) => {
          const entity = ENTITIES[w % ENTITIES.length]!;
          const url = `~root/${entity}`;
          for (let step = 0; running; step += 1) {
            try {
              const latest = pushes.filter((push) => push.entity === entity).at(-1);
              // The workers of one entity do different things at the same moment.
              const op = latest ? (w + step) % 3 : 0;
              if (op === 0) {
                const archive = charmZip({ name: entity, resources: { data: { type: 'file' } }, revisionNote: randomBytes(8).toString('hex') });
                const result = await serverGraphql(server, token, PUSH, { input: { url, archive: null } }, { 'input.archive': new Blob([new Uint8Array(archive)]) });
                const push = result.data?.push;
                const sha384 = createHash('sha384').update(archive).digest('hex');
                if (push?.__typename === 'PushSuccess') pushes.push({ entity, number: push.revision.number, sha384 });
              } else if (op === 1) {
                const content = randomBytes(2048);
                const result = await serverGraphql(server, token, PUSH_RESOURCE, { input: { url, name: 'data', file: null } }, { 'input.file': new Blob([new Uint8Array(content)]) });
                const pushed = result.data?.pushResource;
                // The digest of what was sent, not what the server says: the final check compares it with what is stored.
                const sha384 = createHash('sha384').update(content).digest('hex');
                if (pushed?.__typename === 'PushResourceSuccess') resources.push({ entity, revision: pushed.resourceRevision.revision, sha384 });
              } else {
                const result = await serverGraphql(server, token, RELEASE, { input: { url: `${url}-${latest!.number}`, channels: ['edge', 'beta'] } });
                if (result.data?.release.__typename === 'ReleaseSuccess') releases.push({ entity, revision: latest!.number });
              }
            } catch {
              // The connection died with the server: the write was not acknowledged.
            }
          }
        };
        const workers = Array.from({ length: WORKERS }, (_, w) => worker(w));
        // Kill once writes are flowing (a few acknowledged in this cycle), at a random moment after.
        const started = Date.now();
        while (pushes.length + resources.length + releases.length < ackedBefore + 3 && Date.now() - started < SERVER_START_MS) {
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        // 0.2-1 s: each write takes tens of ms, so the kill still lands anywhere in
        // one of a stream of them; up to 1.5 s cost ~0.5 s more CPU a cycle (client and server).
        await new Promise((resolve) => setTimeout(resolve, 200 + Math.random() * 800));
        await server.stop('SIGKILL');
        running = false;
        await Promise.all(workers);
      } finally {
        await server.stop('SIGKILL');
      }
    }

    // A last start recovers the database after the last kill, then stops cleanly.
    const last = await startServer(serverEnv());
    expect(await last.stop('SIGTERM')).toBe(0);

    // Every kind of write was acknowledged, and some in every cycle.
    expect(pushes.length + resources.length + releases.length).toBeGreaterThanOrEqual(KILLS);
    expect(Math.min(pushes.length, resources.length, releases.length)).toBeGreaterThan(0);
    // The servers migrated it: no schema engine here (~1.5 s of CPU on PGlite).
    const db: Database =
      testDatabaseKind() === 'pglite'
        ? await openPgliteDatabase(path.join(dataDir, 'pglite'), { alreadyMigrated: true })
        : await openPostgresDatabase(testDatabaseUrl(), schema, { alreadyMigrated: true });
    try {
      await checkInvariants(db, { pushes, resources, releases });
    } finally {
      await db.close();
      if (testDatabaseKind() === 'postgres') {
        await withAdminClient((client) => client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`));
      }
    }
    // Each cycle: a start, then writes until some are acknowledged (up to another start's time).
  }, timeLimitFor(2 * KILLS + 1));
});

async function checkInvariants(db: Database, acked: { pushes: AckedPush[]; resources: AckedResource[]; releases: AckedRelease[] }): Promise<void> {
  const { prisma } = db;
  const entities = await prisma.entity.findMany({
    where: { name: { in: ENTITIES } },
    include: {
      revisions: { orderBy: { number: 'asc' } },
      resources: { include: { revisions: { orderBy: { revision: 'asc' } } } },
      channels: { include: { history: { orderBy: { id: 'asc' } } } },
    },
  });
  expect(entities.map((entity) => entity.name).sort()).toEqual(ENTITIES);
  const blobDigests = new Set<string>();
  for (const entity of entities) {
    // Revision numbers are consecutive from 0, and the counter is just past the newest.
    expect(entity.revisions.map((revision) => revision.number)).toEqual(entity.revisions.map((_, index) => index));
    expect(entity.nextRevision).toBe(entity.revisions.length);
    for (const revision of entity.revisions) blobDigests.add(revision.sha384);
    for (const resource of entity.resources) {
      const numbers = resource.revisions.map((revision) => revision.revision);
      expect(numbers).toEqual(numbers.map((_, index) => (numbers[0] ?? 0) + index));
      if (numbers.length) expect(resource.nextRevision).toBe(numbers.at(-1)! + 1);
      for (const revision of resource.revisions) blobDigests.add(revision.sha384);
    }
    // Each channel points at its newest history entry.
    for (const channel of entity.channels) {
      expect(channel.revisionId, `${entity.name} ${channel.risk}`).toBe(channel.history.at(-1)?.revisionId ?? null);
    }
    // Every release named both edge and beta: no half release means identical histories.
    const historyOf = (risk: string) => entity.channels.find((channel) => channel.risk === risk && channel.branch === '')?.history.map((entry) => entry.revisionId) ?? [];
    expect(historyOf('EDGE')).toEqual(historyOf('BETA'));

    const numbersById = new Map(entity.revisions.map((revision) => [revision.id, revision.number]));
    const released = new Set(historyOf('EDGE').map((id) => numbersById.get(id!)));
    for (const push of acked.pushes.filter((p) => p.entity === entity.name)) {
      expect(entity.revisions[push.number]?.sha384, `${entity.name}-${push.number}`).toBe(push.sha384);
    }
    for (const release of acked.releases.filter((r) => r.entity === entity.name)) expect(released.has(release.revision)).toBe(true);
    const resourceRevisions = entity.resources.flatMap((resource) => resource.revisions);
    for (const pushed of acked.resources.filter((r) => r.entity === entity.name)) {
      expect(resourceRevisions.find((revision) => revision.revision === pushed.revision)?.sha384).toBe(pushed.sha384);
    }
  }
  // Every referenced blob is there, with the content its digest names.
  for (const sha384 of blobDigests) {
    const content = await fs.readFile(path.join(dataDir, 'blobs', sha384.slice(0, 2), sha384));
    expect(createHash('sha384').update(content).digest('hex')).toBe(sha384);
  }
}
