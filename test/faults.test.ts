import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgresDatabase, type Database } from '../src/db/database.js';
import { Prisma } from '../src/generated/prisma/client.js';
import { requestIdMixin } from '../src/logger.js';
import { createUserAndLogin, loginAdmin } from './support/accounts.js';
import { testDatabaseKind, type TestDatabase } from './support/database.js';
import { freePort } from './support/process.js';
import { pushOk } from './support/push.js';
import { createTestStore, type TestStore } from './support/store.js';
import { charmZip } from './support/zip.js';
// Besides the access log line every request has, each failure is logged once.
import { ACCESS_LOG_MESSAGE } from '../src/http/access-log.js';
import { scaled } from './support/timing.js';

const run = promisify(execFile);
const CLUSTER_SCRIPT = path.resolve(import.meta.dirname, '../scripts/pg-test-cluster.sh');

/**
 * The outage: on PostgreSQL a cluster of this test's own is stopped and
 * started again (the server the other test files share is left alone); on
 * PGlite, which runs in this process, every database call fails the way an
 * unreachable server does (Prisma's P1001, naming a host and port).
 */
interface Outage {
  begin(): Promise<void>;
  end(): Promise<void>;
  wrap?: (db: Database) => Database;
  /** The database on the outage's own server (PostgreSQL). */
  database?: TestDatabase;
  close(): Promise<void>;
}

async function postgresOutage(): Promise<Outage> {
  const env = { ...process.env, PGPORT: String(await freePort()), PG_TEST_DIR: await fs.mkdtemp(path.join(os.tmpdir(), 'charmstore-pg-outage-')) };
  const cluster = (command: string) => run(CLUSTER_SCRIPT, [command], { env });
  const { stdout } = await cluster('start');
  const url = stdout.trim();
  const db = await openPostgresDatabase(url);
  return {
    begin: () => cluster('pause').then(() => undefined),
    end: () => cluster('resume').then(() => undefined),
    database: { db, url, drop: () => db.close() },
    close: () => cluster('stop').then(() => undefined),
  };
}

function simulatedOutage(): Outage {
  let failing = false;
  const unreachable = () => new Prisma.PrismaClientKnownRequestError("Can't reach database server at `db.internal:5432`", { code: 'P1001', clientVersion: Prisma.prismaVersion.client });
  // Every method of the client and of its model delegates fails while `failing`.
  const failingLayer = <T extends object>(target: T): T =>
    new Proxy(target, {
      get(object, property) {
        const value: unknown = Reflect.get(object, property, object);
        if (typeof value === 'function') {
          return (...args: unknown[]) => (failing ? Promise.reject(unreachable()) : (value as (...a: unknown[]) => unknown).apply(object, args));
        }
        if (typeof value === 'object' && value !== null && typeof property === 'string' && !property.startsWith('_')) return failingLayer(value);
        return value;
      },
    });
  return {
    begin: async () => void (failing = true),
    end: async () => void (failing = false),
    wrap: (db) => ({ ...db, prisma: failingLayer(db.prisma), sql: failingLayer(db.sql), ping: () => (failing ? Promise.reject(unreachable()) : db.ping()) }),
    close: async () => undefined,
  };
}

let outage: Outage;
let store: TestStore;
let kirk: string;
let archivePath: string;
const logLines: Array<Record<string, unknown>> = [];

beforeAll(async () => {
  outage = testDatabaseKind() === 'postgres' ? await postgresOutage() : simulatedOutage();
  const logger = pino({ level: 'info', mixin: requestIdMixin }, { write: (line: string) => void logLines.push(JSON.parse(line) as Record<string, unknown>) });
  store = await createTestStore({ realClock: true, wrapDatabase: outage.wrap, database: outage.database, logger });
  kirk = await createUserAndLogin(store, await loginAdmin(store), 'kirk');
  archivePath = new URL((await pushOk(store, kirk, charmZip({ name: 'foo' }))).revision.downloadUrl, 'http://store.test').pathname;
}, scaled(120_000));
afterAll(async () => {
  await outage?.end().catch(() => undefined);
  await store?.close();
  await outage?.close();
}, scaled(60_000));

const ENTITY_QUERY = 'query ($url: String!) { entity(url: $url) { url } }';

function graphql(requestId: string, token?: string) {
  return store.request('/graphql', {
    method: 'POST',
    token,
    headers: { 'content-type': 'application/json', 'x-request-id': requestId },
    body: JSON.stringify({ query: ENTITY_QUERY, variables: { url: '~kirk/foo' } }),
  });
}

/** No internals in an answer: database host or port, Prisma, source paths, the blob directory. */
function expectNoInternals(text: string) {
  expect(text).not.toMatch(/db\.internal|127\.0\.0\.1|:\d{4,5}\b|prisma|\.ts\b|node_modules|ENOENT/i);
  expect(text).not.toContain(store.blobDir);
}

describe('database outage', () => {
  it('answers 503 + Retry-After with a request id, logs each failure once, and recovers without a restart', async () => {
    await outage.begin();
    try {
      for (const [name, token] of [['anonymous', undefined], ['signed-in', kirk]] as const) {
        const requestId = `outage-${name}`;
        const response = await graphql(requestId, token);
        const text = await response.text();
        expect(response.status, text).toBe(503);
        expect(response.headers.get('retry-after')).toBe('5');
        expect(response.headers.get('x-request-id')).toBe(requestId);
        expectNoInternals(text);
        const body = JSON.parse(text) as { data?: unknown; errors: Array<{ message: string; extensions: Record<string, unknown> }> };
        // No data that could read as "not found".
        expect(body.data).toBeUndefined();
        expect(body.errors).toEqual([
          { message: `The store's database is unavailable; retry in 5 seconds (request ${requestId})`, extensions: { code: 'SERVICE_UNAVAILABLE', requestId } },
        ]);
        expect(logLines.filter((line) => line.requestId === requestId && line.msg !== ACCESS_LOG_MESSAGE)).toHaveLength(1);
      }

      for (const [requestId, init] of [
        ['outage-download', { token: kirk }],
        ['outage-upload', { token: kirk, method: 'POST', body: 'content' }],
      ] as const) {
        const response = await store.request(requestId === 'outage-download' ? archivePath : '/uploads', {
          ...init,
          headers: { 'x-request-id': requestId },
        });
        const text = await response.text();
        expect(response.status, text).toBe(503);
        expect(response.headers.get('retry-after')).toBe('5');
        expectNoInternals(text);
        expect(JSON.parse(text)).toEqual({ error: "The store's database is unavailable; retry in 5 seconds", code: 'SERVICE_UNAVAILABLE', requestId });
        expect(logLines.filter((line) => line.requestId === requestId && line.msg !== ACCESS_LOG_MESSAGE)).toHaveLength(1);
      }
      const readiness = await store.request('/readiness');
      expect(readiness.status).toBe(503);
    } finally {
      await outage.end();
    }

    // Recovery: the same store answers again once the database is back (the pool reconnects).
    let recovered: Response | undefined;
    for (let attempt = 0; attempt < 60; attempt += 1) {
      recovered = await graphql(`recovery-${attempt}`, kirk);
      if (recovered.status === 200) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect(recovered?.status).toBe(200);
    expect(await recovered?.json()).toEqual({ data: { entity: { url: 'cs:~kirk/foo' } } });
    expect((await store.request(archivePath, { token: kirk })).status).toBe(200);
  }, scaled(120_000));
});

describe('unexpected errors', () => {
  it('answer 500 with a generic body and a request id, logged once; a fresh id when the client sends none', async () => {
    const revision = await pushOk(store, kirk, charmZip({ name: 'lost' }));
    // A blob gone from the disk behind the store's back.
    await fs.rm(path.join(store.blobDir, revision.revision.sha384.slice(0, 2), revision.revision.sha384));
    const response = await store.request(new URL(revision.revision.downloadUrl, 'http://store.test').pathname, { token: kirk });
    const text = await response.text();
    expect(response.status, text).toBe(500);
    expectNoInternals(text);
    const requestId = response.headers.get('x-request-id');
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(JSON.parse(text)).toEqual({ error: 'Unexpected error; the store logged it under this request id', code: 'INTERNAL_SERVER_ERROR', requestId });
    const logged = logLines.filter((line) => line.requestId === requestId && line.msg !== ACCESS_LOG_MESSAGE);
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ level: 50, msg: 'unexpected error' });
  });
});
