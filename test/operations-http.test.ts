import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { ACCESS_LOG_MESSAGE } from '../src/http/access-log.js';
import { yogaLogger } from '../src/http/yoga-logging.js';
import { requestIdMixin } from '../src/logger.js';
import { createUserAndLogin, loginAdmin } from './support/accounts.js';
import { pushOk } from './support/push.js';
import { createTestStore, type TestStore } from './support/store.js';
import { charmZip } from './support/zip.js';
import { scaled } from './support/timing.js';

/** A pino logger whose JSON lines land in `lines`, like the server's stdout. */
function capturingLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { lines, logger: pino({ level: 'info', base: undefined, mixin: requestIdMixin }, stream) };
}

/** The value of one sample in Prometheus' text format (0 when absent). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  for (const line of text.split('\n')) {
    const match = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const present = (match[2] ?? '').split(',');
    if (wanted.every((label) => present.includes(label))) return Number(match[3]);
  }
  return 0;
}

const graphql = (store: TestStore, query: string, init: { token?: string; headers?: Record<string, string>; operationName?: string } = {}) =>
  store.request('/graphql', {
    method: 'POST',
    token: init.token,
    headers: { 'content-type': 'application/json', ...init.headers },
    body: JSON.stringify({ query, operationName: init.operationName }),
  });

describe('operations', () => {
  let store: TestStore | undefined;
  afterEach(async () => {
    await store?.close();
    store = undefined;
  });

  it('/metrics counts requests by operation and outcome, latencies, download and upload bytes, and process metrics', async () => {
    store = await createTestStore();
    const metrics = async () => {
      const response = await store!.request('/metrics');
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toContain('text/plain');
      return response.text();
    };
    const before = await metrics();
    // prom-client counts CPU from when the registry was made, so a fast first scrape may read 0: the
    // sample must be there, and grow over the requests below.
    expect(before).toMatch(/^charmstore_process_cpu_user_seconds_total \S+$/m);
    const okLabels = { operation: 'Whoami', type: 'query', outcome: 'ok' };
    const failedLabels = { operation: 'Broken', type: 'query', outcome: 'GRAPHQL_VALIDATION_FAILED' };

    expect((await graphql(store, 'query Whoami { viewer { user { username } } }')).status).toBe(200);
    expect((await graphql(store, 'query Whoami { viewer { user { username } } }')).status).toBe(200);
    await graphql(store, "query Broken { nope }");
    const admin = await loginAdmin(store);
    const kirk = await createUserAndLogin(store, admin, 'kirk');
    const archive = charmZip({ name: 'foo' });
    await pushOk(store, kirk, archive, 'cs:~kirk/foo');
    const upload = await store.request('/uploads', { method: 'POST', token: kirk, body: new Uint8Array(Buffer.alloc(1000, 7)) });
    expect(upload.status).toBe(201);
    expect((await store.request('/archives/~kirk/foo/0', { token: kirk })).status).toBe(200);

    const after = await metrics();
    expect(sample(after, 'charmstore_process_cpu_user_seconds_total')).toBeGreaterThan(sample(before, 'charmstore_process_cpu_user_seconds_total'));
    expect(sample(after, 'charmstore_graphql_operations_total', okLabels) - sample(before, 'charmstore_graphql_operations_total', okLabels)).toBe(2);
    expect(sample(after, 'charmstore_graphql_operations_total', failedLabels)).toBe(1);
    expect(sample(after, 'charmstore_graphql_operation_duration_seconds_count', { operation: 'Whoami', type: 'query' })).toBe(2);
    expect(sample(after, 'charmstore_http_requests_total', { method: 'POST', route: 'graphql', status: '200' })).toBeGreaterThanOrEqual(2);
    expect(sample(after, 'charmstore_http_requests_total', { method: 'GET', route: 'metrics', status: '200' })).toBe(1);
    expect(sample(after, 'charmstore_http_request_duration_seconds_count', { route: 'archives' })).toBe(1);
    expect(sample(after, 'charmstore_download_bytes_total', { kind: 'archive' })).toBe(archive.length);
    expect(sample(after, 'charmstore_upload_bytes_total')).toBe(1000);
    expect(after).toContain('charmstore_db_pool_waiting');
    expect(sample(after, 'charmstore_live_subscribers')).toBe(0);
    expect(after).toContain('# TYPE charmstore_webhook_deliveries_total counter');
  });

  it('/metrics asks for the bearer token when STORE_METRICS_TOKEN is set', async () => {
    store = await createTestStore({ metricsToken: 'metrics-secret-1234' });
    expect((await store.request('/metrics')).status).toBe(401);
    expect((await store.request('/metrics', { token: 'wrong' })).status).toBe(401);
    expect((await store.request('/metrics', { token: 'metrics-secret-1234' })).status).toBe(200);
  });

  it('writes one JSON access log line per request, with its request id, operation, status, duration and user', async () => {
    const { lines, logger } = capturingLogger();
    store = await createTestStore({ logger });
    const admin = await loginAdmin(store);
    lines.length = 0;
    const response = await graphql(store, 'query Whoami { viewer { user { username } } }', { token: admin, headers: { 'x-request-id': 'req-42' } });
    expect(await response.json()).toEqual({ data: { viewer: { user: { username: 'admin' } } } });
    expect(response.headers.get('x-request-id')).toBe('req-42');
    const anonymous = await store.request('/health');
    const accessLines = lines.filter((line) => line.msg === ACCESS_LOG_MESSAGE);
    expect(accessLines).toHaveLength(2);
    expect(accessLines[0]).toMatchObject({ requestId: 'req-42', method: 'POST', path: '/graphql', operation: 'Whoami', operationType: 'query', status: 200, userId: 1 });
    expect(accessLines[0]!.durationMs).toEqual(expect.any(Number));
    expect(accessLines[1]).toMatchObject({ requestId: anonymous.headers.get('x-request-id'), method: 'GET', path: '/health', status: 200 });
    expect(accessLines[1]).not.toHaveProperty('userId');
  });

  it("writes Yoga's log calls as pino lines with a message, never under a key \"0\"", () => {
    const { lines, logger } = capturingLogger();
    const yoga = yogaLogger(logger);
    yoga.debug('Processing GraphQL Parameters');
    yoga.warn('something odd', { detail: 1 });
    yoga.error(new Error('boom'));
    // The logger is at info: Yoga's per-request debug lines write nothing.
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ msg: 'something odd', details: { detail: 1 } });
    expect(lines[1]).toMatchObject({ msg: 'boom', err: { message: 'boom' } });
    for (const line of lines) expect(line).not.toHaveProperty('0');
  });

  describe('compression', () => {
    const introspection = '{ __schema { types { name description } } }';

    it('compresses JSON with brotli or gzip as accepted, and not at all otherwise', async () => {
      store = await createTestStore();
      const br = await graphql(store, introspection, { headers: { 'accept-encoding': 'gzip, br' } });
      expect(br.headers.get('content-encoding')).toBe('br');
      expect(br.headers.get('vary')).toContain('Accept-Encoding');
      const brBody = JSON.parse(zlib.brotliDecompressSync(Buffer.from(await br.arrayBuffer())).toString()) as { data: unknown };
      const gz = await graphql(store, introspection, { headers: { 'accept-encoding': 'gzip, br;q=0' } });
      expect(gz.headers.get('content-encoding')).toBe('gzip');
      const gzBody = JSON.parse((await promisify(zlib.gunzip)(Buffer.from(await gz.arrayBuffer()))).toString()) as { data: unknown };
      const plain = await graphql(store, introspection, { headers: { 'accept-encoding': 'identity' } });
      expect(plain.headers.get('content-encoding')).toBeNull();
      const plainBody = (await plain.json()) as { data: unknown };
      expect(brBody.data).toEqual(plainBody.data);
      expect(gzBody.data).toEqual(plainBody.data);
    });

    it('serves GraphiQL compressed with an ETag that revalidates to 304, and logs the 304', async () => {
      const { lines, logger } = capturingLogger();
      store = await createTestStore({ logger });
      const page = await store.request('/graphql', { headers: { accept: 'text/html', 'accept-encoding': 'br' } });
      expect(page.status).toBe(200);
      expect(page.headers.get('content-encoding')).toBe('br');
      expect(page.headers.get('cache-control')).toBe('no-cache');
      const html = zlib.brotliDecompressSync(Buffer.from(await page.arrayBuffer())).toString();
      expect(html).toContain('<html');
      const etag = page.headers.get('etag')!;
      const again = await store.request('/graphql', { headers: { accept: 'text/html', 'accept-encoding': 'br', 'if-none-match': etag } });
      expect(again.status).toBe(304);
      const gzip = await store.request('/graphql', { headers: { accept: 'text/html', 'accept-encoding': 'gzip', 'if-none-match': etag } });
      expect(gzip.status).toBe(200); // another encoding, another representation
      expect(gzip.headers.get('content-encoding')).toBe('gzip');
      const logged = lines.filter((line) => line.msg === ACCESS_LOG_MESSAGE && line.path === '/graphql').map((line) => line.status);
      expect(logged).toEqual([200, 304, 200]);
      const metrics = await (await store.request('/metrics')).text();
      expect(metrics).toMatch(/route="graphiql",status="304"/);
    }, scaled(120_000));

    it('never compresses downloads: Range and the content ETag keep working', async () => {
      store = await createTestStore();
      const admin = await loginAdmin(store);
      const archive = charmZip({ name: 'foo', extra: [{ name: 'big.txt', data: 'x'.repeat(5000) }] });
      await pushOk(store, admin, archive, 'cs:~admin/foo');
      const whole = await store.request('/archives/~admin/foo/0', { token: admin, headers: { 'accept-encoding': 'gzip, br' } });
      expect(whole.headers.get('content-encoding')).toBeNull();
      expect(Buffer.from(await whole.arrayBuffer())).toEqual(archive);
      const part = await store.request('/archives/~admin/foo/0', { token: admin, headers: { 'accept-encoding': 'gzip, br', range: 'bytes=0-9' } });
      expect(part.status).toBe(206);
      expect(part.headers.get('content-encoding')).toBeNull();
      expect(Buffer.from(await part.arrayBuffer())).toEqual(archive.subarray(0, 10));
    });
  });
});
