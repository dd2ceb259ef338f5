import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { testDatabaseKind, testDatabaseUrl, withMigratedDatabase } from './support/database.js';
import { startServer } from './support/process.js';
import { timeLimitFor } from './support/timing.js';
import { charmZip } from './support/zip.js';

const tempDirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'charmstore-ops-'));
  tempDirs.push(dir);
  return dir;
}
afterAll(async () => {
  await Promise.all(tempDirs.map((dir) => fs.rm(dir, { recursive: true, force: true })));
});

/** A migrated PGlite data dir, or a fresh PostgreSQL schema, for a real server process. */
async function databaseEnv(): Promise<Record<string, string>> {
  if (testDatabaseKind() === 'pglite') return { STORE_DATA_DIR: await withMigratedDatabase(await tempDir()) };
  const url = new URL(testDatabaseUrl());
  url.searchParams.set('schema', `ops_${randomBytes(6).toString('hex')}`);
  return { DATABASE_URL: url.toString(), STORE_DATA_DIR: await tempDir() };
}

const ADMIN_ENV = { STORE_ADMIN_USERNAME: 'root', STORE_ADMIN_PASSWORD: 'correct-horse-battery' };

async function graphql(url: string, query: string, token?: string): Promise<any> {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query }),
  });
  return ((await response.json()) as { data: any }).data;
}

async function login(url: string): Promise<string> {
  const data = await graphql(url, 'mutation { login(input: {username: "root", password: "correct-horse-battery"}) { ... on LoginSuccess { token } } }');
  return data.login.token as string;
}

const today = () => new Date().toISOString().slice(0, 10);
const downloadsByRevision = async (url: string, token: string) =>
  (await graphql(url, `{ entity(url: "cs:~root/foo") { downloads(from: "${today()}", to: "${today()}", groupBy: REVISION) { ... on DownloadStatistics { rows { key count } } ... on Error { message } } } }`, token))
    .entity.downloads;

describe('operations of the server process', () => {
  // The first process also runs with OpenTelemetry tracing, to an endpoint
  // where nothing listens (exports fail quietly, the store goes on): a server
  // start of its own for that cost ~1.5 s of CPU and proved no more.
  it('keeps download counts across a restart: flushed at shutdown and on the interval; serves and stops with OpenTelemetry tracing on', async () => {
    const env = { ...(await databaseEnv()), ...ADMIN_ENV, STORE_DOWNLOAD_STATS_FLUSH_SECONDS: '3600' };
    const first = await startServer({ ...env, OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' });
    try {
      const token = await login(first.url);
      const form = new FormData();
      form.set('operations', JSON.stringify({ query: 'mutation($input: PushInput!) { push(input: $input) { __typename } }', variables: { input: { archive: null, url: 'cs:~root/foo' } } }));
      form.set('map', JSON.stringify({ 0: ['variables.input.archive'] }));
      form.set('0', new File([new Uint8Array(charmZip({ name: 'foo' }))], 'foo.zip'));
      // A multipart request carries a CSRF header (docs/security.md).
      const pushed = await fetch(`${first.url}/graphql`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'x-graphql-yoga-csrf': '1' }, body: form });
      expect(((await pushed.json()) as any).data.push.__typename).toBe('PushSuccess');
      for (let i = 0; i < 2; i++) expect((await fetch(`${first.url}/archives/~root/foo/0`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
      expect(await downloadsByRevision(first.url, token)).toEqual({ rows: [] }); // the interval is an hour away
      expect(await graphql(first.url, '{ viewer { permissions } }')).toEqual({ viewer: null });
    } finally {
      expect(await first.stop('SIGTERM')).toBe(0);
    }
    expect(first.output()).toContain('OpenTelemetry tracing started');

    const second = await startServer({ ...env, STORE_DOWNLOAD_STATS_FLUSH_SECONDS: '1' });
    try {
      const token = await login(second.url);
      expect(await downloadsByRevision(second.url, token)).toEqual({ rows: [{ key: '0', count: 2 }] });
      expect((await fetch(`${second.url}/archives/~root/foo/0`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
      await vi.waitFor(async () => expect(await downloadsByRevision(second.url, token)).toEqual({ rows: [{ key: '0', count: 3 }] }), {
        timeout: 30_000,
        interval: 250,
      });
      // The access log and metrics of a real process.
      const metrics = await (await fetch(`${second.url}/metrics`)).text();
      expect(metrics).toMatch(/charmstore_download_bytes_total\{kind="archive"\} \d+/);
      const accessLine = second
        .output()
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .find((line) => line.msg === 'request' && line.path === '/archives/~root/foo/0');
      expect(accessLine).toMatchObject({ method: 'GET', status: 200, userId: expect.any(Number), requestId: expect.any(String) });
    } finally {
      expect(await second.stop('SIGTERM')).toBe(0);
    }
    expect(second.output()).not.toContain('OpenTelemetry');
  }, timeLimitFor(3));
});
