import { createHmac, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changeChannelName } from '../../src/db/notifications.js';
import { EntityChangedDocument } from '../generated/graphql.js';
import { testDatabaseKind, testDatabaseUrl, withAdminClient } from '../support/database.js';
import { subscribeSse, subscribeWs } from '../support/live.js';
import { startServer, type ServerProcess } from '../support/process.js';
import { charmZip } from '../support/zip.js';
import { scaled } from '../support/timing.js';

// Several processes share one store only on PostgreSQL; on PGlite the store is one process (subscriptions.test.ts).
const onPostgres = testDatabaseKind() === 'postgres';

const ADMIN_ENV = { STORE_ADMIN_USERNAME: 'root', STORE_ADMIN_PASSWORD: 'correct-horse-battery' };
let schema: string;
let a: ServerProcess;
let b: ServerProcess;
let token: string;
let dataDir: string;
const url = 'cs:~root/live';

async function graphql(base: string, query: string, variables: Record<string, unknown> = {}) {
  const response = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as { data?: Record<string, any>; errors?: unknown[] };
}

async function push(base: string, note: string): Promise<number> {
  const form = new FormData();
  form.set('operations', JSON.stringify({ query: 'mutation($input: PushInput!) { push(input: $input) { __typename ... on PushSuccess { revision { number } } ... on Error { message } } }', variables: { input: { archive: null, url } } }));
  form.set('map', JSON.stringify({ 0: ['variables.input.archive'] }));
  form.set('0', new File([new Uint8Array(charmZip({ name: 'live', revisionNote: note }))], 'live.zip'));
  // Multipart posts need a CSRF header (docs/security.md).
  const response = await fetch(`${base}/graphql`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'x-graphql-yoga-csrf': '1' }, body: form });
  const body = (await response.json()) as { data: { push: { __typename: string; revision: { number: number } } } };
  if (body.data.push.__typename !== 'PushSuccess') throw new Error(JSON.stringify(body));
  return body.data.push.revision.number;
}

async function release(base: string, revision: number, channel = 'stable') {
  const result = await graphql(base, 'mutation($input: ReleaseInput!) { release(input: $input) { __typename } }', { input: { url, channels: [channel], revision } });
  expect(result.data?.release.__typename).toBe('ReleaseSuccess');
}

const pick = (data: { entityChanged: { eventId: string; kind: string; channels: string[]; entity: { channelMap: Array<{ name: string; revision?: { number: number } | null }> } } }) => ({
  eventId: data.entityChanged.eventId,
  kind: data.entityChanged.kind,
  channels: data.entityChanged.channels,
  stable: data.entityChanged.entity.channelMap.find((channel) => channel.name === 'latest/stable')?.revision?.number ?? null,
});

describe.skipIf(!onPostgres)('live updates across server processes on one PostgreSQL', () => {
  beforeAll(async () => {
    schema = `live_${randomBytes(6).toString('hex')}`;
    const databaseUrl = new URL(testDatabaseUrl());
    databaseUrl.searchParams.set('schema', schema);
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'charmstore-live-'));
    // B waits 1.5 s before reconnecting its listener, so a change can commit while it is down.
    const env = { ...ADMIN_ENV, DATABASE_URL: databaseUrl.toString(), STORE_DATA_DIR: dataDir, STORE_LIVE_RECONNECT_MS: '1500' };
    a = await startServer(env);
    b = await startServer(env);
    const login = await graphql(a.url, 'mutation { login(input: {username: "root", password: "correct-horse-battery"}) { ... on LoginSuccess { token } } }');
    token = login.data?.login.token as string;
    await push(a.url, 'zero');
    await push(a.url, 'one');
    await push(a.url, 'two');
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await withAdminClient((client) => client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`));
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  it('a subscriber on B sees a release made on A, with the right channel map', async () => {
    // Resume from the start: the push events come first, so the subscription is live when they arrived.
    const sub = subscribeSse(b.url, EntityChangedDocument, { urls: [url], after: '0' }, pick, { token });
    try {
      await sub.waitFor((events) => events.filter((event) => event.kind === 'PUSH').length === 3);
      const started = Date.now();
      await release(a.url, 1);
      const events = await sub.waitFor((received) => received.some((event) => event.kind === 'RELEASE'));
      const delay = Date.now() - started;
      expect(events.find((event) => event.kind === 'RELEASE')).toMatchObject({ channels: ['latest/stable'], stable: 1 });
      // Generous: a loaded machine; the usual delay is tens of milliseconds (bench/live.ts measures it).
      expect(delay).toBeLessThan(scaled(10_000));
    } finally {
      sub.stop();
    }
  });

  it('recovers when the listening connection is killed, and catches up what committed meanwhile', async () => {
    const sub = subscribeWs(b.url, EntityChangedDocument, { urls: [url], after: '0' }, pick, { token });
    try {
      await sub.waitFor((events) => events.some((event) => event.kind === 'RELEASE'));
      const count = sub.events.length;
      const channel = changeChannelName(schema);
      const killed = await withAdminClient(async (client) => {
        const rows = await client.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE application_name = $1', [`charmstore-listen ${channel}`]);
        for (const row of rows.rows) await client.query('SELECT pg_terminate_backend($1)', [row.pid]);
        return rows.rowCount;
      });
      // Only B listens: a process opens its listening connection with its first subscriber.
      expect(killed).toBe(1);
      // Committed while B's listener is down (it waits 1.5 s before reconnecting): no notification reaches B.
      await release(a.url, 2);
      await release(a.url, 0, 'edge');
      const events = await sub.waitFor((received) => received.length >= count + 2);
      expect(events.slice(count).map((event) => [event.kind, event.channels])).toEqual([
        ['RELEASE', ['latest/stable']],
        ['RELEASE', ['latest/edge']],
      ]);
      expect(events[count]!.stable).toBe(2);
      expect(b.output()).toContain('catching up from the audit log');
      // And it is live again.
      await release(a.url, 0, 'beta');
      await sub.waitFor((received) => received.some((event) => event.channels.includes('latest/beta')));
    } finally {
      sub.stop();
    }
  });
});

describe.skipIf(!onPostgres)('webhook deliveries when the delivering process dies', () => {
  it('a delivery whose process was killed mid-request is sent by another process once its lease ends, and accepted once', async () => {
    const hookSchema = `live_${randomBytes(6).toString('hex')}`;
    const databaseUrl = new URL(testDatabaseUrl());
    databaseUrl.searchParams.set('schema', hookSchema);
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'charmstore-hook-'));
    // The first request hangs (its process is killed meanwhile); later ones are accepted.
    const received: Array<{ body: string; signature: string }> = [];
    const receiver = http.createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        received.push({ body, signature: String(request.headers['x-charmstore-signature']) });
        if (received.length > 1) response.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const target = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    const env = {
      ...ADMIN_ENV,
      DATABASE_URL: databaseUrl.toString(),
      STORE_DATA_DIR: dir,
      STORE_WEBHOOK_ALLOW_PRIVATE: 'true',
      STORE_WEBHOOK_TIMEOUT_MS: '2000',
      STORE_WEBHOOK_POLL_MS: '200',
      STORE_WEBHOOK_RETRY_BASE_MS: '200',
    };
    const first = await startServer(env);
    let second: ServerProcess | undefined;
    const savedToken = token;
    try {
      token = ''; // the other store's token is unknown here
      const login = await graphql(first.url, 'mutation { login(input: {username: "root", password: "correct-horse-battery"}) { ... on LoginSuccess { token } } }');
      token = login.data?.login.token as string;
      await push(first.url, 'hook');
      const created = await graphql(first.url, 'mutation($input: CreateWebhookInput!) { createWebhook(input: $input) { __typename ... on Error { message } } }', {
        input: { url, target, secret: 'a-receiver-secret-of-some-length', events: ['RELEASE'] },
      });
      expect(created.data?.createWebhook.__typename).toBe('CreateWebhookSuccess');
      await release(first.url, 0);
      const deadline = Date.now() + 20_000;
      while (received.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(received).toHaveLength(1);
      // Killed mid-delivery: the receiver never answered it.
      await first.stop('SIGKILL');
      second = await startServer(env);
      const until = Date.now() + 60_000;
      while (received.length < 2 && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 100));
      await new Promise((resolve) => setTimeout(resolve, 1000));
      expect(received).toHaveLength(2);
      expect(received[1]!.body).toBe(received[0]!.body);
      const [, t, mac] = /^t=(\d+),v1=([0-9a-f]+)$/.exec(received[1]!.signature) ?? [];
      expect(createHmac('sha256', 'a-receiver-secret-of-some-length').update(`${t}.${received[1]!.body}`).digest('hex')).toBe(mac);
      const listed = await graphql(second.url, `query { entity(url: "${url}") { webhooks { deliveries { status attempts } } } }`);
      expect(listed.data?.entity.webhooks[0].deliveries).toEqual([{ status: 'DELIVERED', attempts: 2 }]);
    } finally {
      token = savedToken;
      await first.stop('SIGKILL');
      await second?.stop();
      receiver.closeAllConnections();
      await new Promise<void>((resolve) => receiver.close(() => resolve()));
      await withAdminClient((client) => client.query(`DROP SCHEMA IF EXISTS "${hookSchema}" CASCADE`));
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
