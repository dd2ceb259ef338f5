import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refusedAddress } from '../../src/domain/webhook-target.js';
import { CreateWebhookDocument, DeleteWebhookDocument, EntityWebhooksDocument, RedeliverWebhookDocument, ReleaseDocument } from '../generated/graphql.js';
import { loginAdmin } from '../support/accounts.js';
import { eventually } from '../support/live.js';
import { seed, type SeededEntity, type SeededUser } from '../support/seed.js';
import { createTestStore, type TestStore } from '../support/store.js';
import { scaled } from '../support/timing.js';

const SECRET = 'a-receiver-secret-of-some-length';

interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
  answered: number;
}

/** A loopback receiver that answers 500 to the first `failFirst` requests, then 204. */
async function receiver(failFirst: number) {
  const received: Received[] = [];
  const server = http.createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      const answered = received.length < failFirst ? 500 : 204;
      received.push({ headers: request.headers, body, answered });
      response.writeHead(answered).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hook`, received, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** What a receiver does: recompute HMAC-SHA256(secret, "<t>.<body>") and compare in constant time. */
function signatureValid(header: string | undefined, body: string, secret: string): boolean {
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header ?? '');
  if (!match) return false;
  const expected = createHmac('sha256', secret).update(`${match[1]}.${body}`).digest();
  return timingSafeEqual(expected, Buffer.from(match[2]!, 'hex'));
}

let store: TestStore;
let kirk: SeededUser;
let james: SeededUser;
let foo: SeededEntity;

beforeAll(async () => {
  store = await createTestStore({
    realClock: true,
    // The receivers of this test listen on loopback, which a store refuses unless allowed.
    settings: { webhooks: { allowPrivate: true } },
    live: { authRecheckMs: 30_000, webhookDelivery: { allowPrivate: true, retryBaseMs: 100, retryForMs: 120_000, timeoutMs: 5000, pollMs: 100 } },
  });
  const fixtures = seed(store, await loginAdmin(store));
  kirk = await fixtures.user('kirk');
  james = await fixtures.user('james');
  foo = await kirk.charm('foo', { revisions: 3, private: false });
});
afterAll(async () => {
  await store.app.live.close();
  await store.close();
});

async function release(channels: string[], revision: number) {
  const result = await store.execute(ReleaseDocument, { input: { url: foo.url, channels, revision } }, { token: kirk.token });
  if (result.data?.release.__typename !== 'ReleaseSuccess') throw new Error(JSON.stringify(result));
}

describe('webhook targets', () => {
  it('refuses link-local and metadata addresses always, private ones unless allowed', () => {
    for (const address of ['169.254.169.254', '169.254.1.1', 'fe80::1', 'fd00:ec2::254', '100.100.100.200', '::ffff:169.254.169.254', '0.0.0.0']) {
      expect(refusedAddress(address, { allowPrivate: true }), address).toMatch(/link-local|metadata|reserved/);
    }
    for (const address of ['127.0.0.1', '10.1.2.3', '192.168.1.1', '172.20.0.1', '::1', 'fd12::1']) {
      expect(refusedAddress(address, { allowPrivate: false }), address).toMatch(/private or loopback/);
      expect(refusedAddress(address, { allowPrivate: true }), address).toBeNull();
    }
    expect(refusedAddress('93.184.216.34', { allowPrivate: false })).toBeNull();
  });

  it('createWebhook refuses bad targets, short secrets and non-owners with typed errors, creating nothing', async () => {
    const attempts = [
      { target: 'ftp://example.com/', secret: SECRET, token: kirk.token, expected: 'ValidationError' },
      { target: 'http://169.254.169.254/latest/meta-data/', secret: SECRET, token: kirk.token, expected: 'ValidationError' },
      { target: 'http://[fe80::1]/hook', secret: SECRET, token: kirk.token, expected: 'ValidationError' },
      { target: 'http://user:pw@127.0.0.1/hook', secret: SECRET, token: kirk.token, expected: 'ValidationError' },
      { target: 'http://127.0.0.1:9/hook', secret: 'short', token: kirk.token, expected: 'ValidationError' },
      { target: 'http://127.0.0.1:9/hook', secret: SECRET, token: james.token, expected: 'PermissionDeniedError' },
      { target: 'http://127.0.0.1:9/hook', secret: SECRET, token: undefined, expected: 'AuthenticationError' },
    ];
    for (const attempt of attempts) {
      const result = await store.execute(CreateWebhookDocument, { input: { url: foo.url, target: attempt.target, secret: attempt.secret } }, { token: attempt.token });
      expect(result.data?.createWebhook.__typename, attempt.target).toBe(attempt.expected);
    }
    expect(await store.database.db.prisma.webhook.count()).toBe(0);
  });
});

describe('webhook deliveries', () => {
  it('a receiver failing the first attempts gets each change later, exactly once delivered, signed; the owner sees the record', async () => {
    const hook = await receiver(2);
    try {
      const created = await store.execute(CreateWebhookDocument, { input: { url: foo.url, target: hook.url, secret: SECRET, events: ['RELEASE'] } }, { token: kirk.token });
      expect(created.data?.createWebhook.__typename).toBe('CreateWebhookSuccess');
      await release(['stable'], 1);
      await release(['edge'], 2);
      const accepted = () => hook.received.filter((request) => request.answered === 204);
      await eventually(() => accepted().length, (n) => n >= 2, scaled(30_000));
      // Nothing more arrives for delivered events (a later poll must not resend them).
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(hook.received).toHaveLength(4);
      // Deliveries go out concurrently: order by event.
      const bodies = accepted()
        .map((request) => JSON.parse(request.body) as { eventId: string; kind: string; url: string; channels: string[]; deliveryId: string })
        .sort((x, y) => Number(x.eventId) - Number(y.eventId));
      expect(bodies.map((body) => [body.kind, body.url, body.channels])).toEqual([
        ['RELEASE', foo.url, ['latest/stable']],
        ['RELEASE', foo.url, ['latest/edge']],
      ]);
      expect(new Set(bodies.map((body) => body.eventId)).size).toBe(2);
      for (const request of hook.received) {
        expect(signatureValid(request.headers['x-charmstore-signature'] as string, request.body, SECRET)).toBe(true);
        expect(signatureValid(request.headers['x-charmstore-signature'] as string, request.body, 'another-secret-entirely')).toBe(false);
        expect(request.headers['x-charmstore-event']).toBe('RELEASE');
      }

      const listed = await store.execute(EntityWebhooksDocument, { url: foo.url }, { token: kirk.token });
      const deliveries = listed.data!.entity!.webhooks[0]!.deliveries;
      expect(deliveries.map((delivery) => delivery.status)).toEqual(['DELIVERED', 'DELIVERED']);
      expect(deliveries.reduce((sum, delivery) => sum + delivery.attempts, 0)).toBe(4);
      // Not the owner: no webhooks shown.
      const asJames = await store.execute(EntityWebhooksDocument, { url: foo.url }, { token: james.token });
      expect(asJames.data?.entity?.webhooks).toEqual([]);

      // Redelivery sends the same delivery (same id) once more.
      const redelivered = await store.execute(RedeliverWebhookDocument, { input: { deliveryId: deliveries[0]!.id } }, { token: kirk.token });
      expect(redelivered.data?.redeliverWebhook.__typename).toBe('RedeliverWebhookSuccess');
      await eventually(() => hook.received.length, (n) => n === 5);
      expect(hook.received[4]!.headers['x-charmstore-delivery']).toBe(deliveries[0]!.id);

      // Deleted: later changes are not sent.
      const deleted = await store.execute(DeleteWebhookDocument, { input: { id: listed.data!.entity!.webhooks[0]!.id } }, { token: kirk.token });
      expect(deleted.data?.deleteWebhook.__typename).toBe('DeleteWebhookSuccess');
      await release(['beta'], 2);
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(hook.received).toHaveLength(5);
      expect(await store.database.db.prisma.webhookDelivery.count()).toBe(0);
    } finally {
      await hook.close();
    }
  });
});
