import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/http/server.js';
import { EntityChangedDocument, LogoutDocument, ReleaseDocument, ReleasesDocument, SetPrivateDocument } from '../generated/graphql.js';
import { loginAdmin } from '../support/accounts.js';
import { eventually, serve, subscribeSse, subscribeWs } from '../support/live.js';
import { seed, type SeededEntity, type SeededUser } from '../support/seed.js';
import { createTestStore, type TestStore } from '../support/store.js';
import { scaled } from '../support/timing.js';

let store: TestStore;
let server: RunningServer;
let kirk: SeededUser;
let foo: SeededEntity;
let bar: SeededEntity;

beforeAll(async () => {
  // A short recheck, so a revoked token ends an idle subscription quickly.
  store = await createTestStore({ realClock: true, live: { authRecheckMs: 200 } });
  server = await serve(store.app);
  const fixtures = seed(store, await loginAdmin(store));
  kirk = await fixtures.user('kirk');
  foo = await kirk.charm('foo', { revisions: 5, private: false });
  bar = await kirk.charm('bar', { revisions: 5, private: false });
});
afterAll(async () => {
  await server.close(1000);
  await store.close();
});

async function release(url: string, channels: string[], revision: number, token = kirk.token) {
  const result = await store.execute(ReleaseDocument, { input: { url, channels, revision } }, { token });
  if (result.data?.release.__typename !== 'ReleaseSuccess') throw new Error(`release failed: ${JSON.stringify(result)}`);
}

const pickChange = (data: { entityChanged: { eventId: string; kind: string; channels: string[]; entity: { url: string; channelMap: Array<{ name: string; revision?: { number: number } | null }> } } }) => ({
  eventId: data.entityChanged.eventId,
  kind: data.entityChanged.kind,
  url: data.entityChanged.entity.url,
  channels: data.entityChanged.channels,
  stable: data.entityChanged.entity.channelMap.find((channel) => channel.name === 'latest/stable')?.revision?.number ?? null,
});

/** Subscriptions are live once the process listens for their entities. */
async function listening(count: number) {
  await eventually(() => store.app.live.feed.listenerCount, (n) => n === count);
}

// A subscription that ends (client gone, token revoked) leaves no listener behind.
afterEach(async () => {
  await eventually(() => store.app.live.feed.listenerCount, (n) => n === 0);
});

describe('entityChanged', () => {
  it('delivers a release over SSE (graphql-sse) with the entity as it is now', async () => {
    const sub = subscribeSse(server.url, EntityChangedDocument, { urls: [foo.url] }, pickChange);
    try {
      await listening(1);
      await release(foo.url, ['stable'], 1);
      const [change] = await sub.waitFor((events) => events.length >= 1);
      expect(change).toMatchObject({ kind: 'RELEASE', url: foo.url, channels: ['latest/stable'], stable: 1 });
      expect(change!.eventId).toMatch(/^\d+$/);
    } finally {
      sub.stop();
    }
  });

  it('names each change in an SSE id: line and in extensions.eventId, so a reconnecting client can send it back as Last-Event-ID', async () => {
    const aborted = new AbortController();
    const response = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      signal: aborted.signal,
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      // No eventId in the selection: the id comes anyway.
      body: JSON.stringify({ query: 'subscription { entityChanged(urls: ["' + foo.url + '"]) { kind } }' }),
    });
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    const giveUp = setTimeout(() => aborted.abort(), 60_000);
    try {
      await listening(1);
      await release(foo.url, ['edge'], 2);
      while (!/data: [^\n]*\n\n/.test(text)) {
        const chunk = await reader.read();
        if (chunk.done) break;
        text += chunk.value;
      }
    } finally {
      clearTimeout(giveUp);
      aborted.abort();
    }
    const message = text.split('\n\n').find((block) => block.includes('data: '))!;
    const lines = message.split('\n');
    const id = lines.find((line) => line.startsWith('id: '))?.slice('id: '.length);
    const data = JSON.parse(lines.find((line) => line.startsWith('data: '))!.slice('data: '.length)) as { data: unknown; extensions: { eventId: string } };
    expect(lines).toContain('event: next');
    expect(data.data).toEqual({ entityChanged: { kind: 'RELEASE' } });
    expect(id).toMatch(/^\d+$/);
    expect(data.extensions.eventId).toBe(id);
  });

  it('delivers over the graphql-ws WebSocket protocol, for the named entities only', async () => {
    const sub = subscribeWs(server.url, EntityChangedDocument, { urls: [foo.url] }, pickChange, { token: kirk.token });
    try {
      await listening(1);
      await release(bar.url, ['stable'], 1);
      await release(foo.url, ['stable'], 2);
      const events = await sub.waitFor((received) => received.length >= 1);
      expect(events.map((event) => [event.url, event.stable])).toEqual([[foo.url, 2]]);
    } finally {
      sub.stop();
    }
  });

  it('refuses a malformed url or event id with a clear error', async () => {
    const sub = subscribeSse(server.url, EntityChangedDocument, { urls: ['not a url!'] }, pickChange);
    await sub.ended();
    expect(JSON.stringify(sub.errors)).toMatch(/url/i);
    const badAfter = subscribeWs(server.url, EntityChangedDocument, { urls: [foo.url], after: 'yesterday' }, pickChange);
    await badAfter.ended();
    expect(JSON.stringify(badAfter.errors)).toMatch(/after must be an event id/);
  });

  it('checks visibility at delivery: a private entity stops delivering to those who may no longer see it', async () => {
    const anonymous = subscribeSse(server.url, EntityChangedDocument, { urls: [foo.url, bar.url] }, pickChange);
    const owner = subscribeSse(server.url, EntityChangedDocument, { urls: [foo.url, bar.url] }, pickChange, { token: kirk.token });
    try {
      await listening(4);
      const made = await store.execute(SetPrivateDocument, { input: { url: foo.url, private: true } }, { token: kirk.token });
      expect(made.data?.setPrivate.__typename).toBe('SetPrivateSuccess');
      await release(foo.url, ['stable'], 3);
      await release(bar.url, ['stable'], 3);
      // Events are delivered in order: once bar's change arrived, foo's was either delivered or withheld.
      await anonymous.waitFor((events) => events.some((event) => event.url === bar.url));
      const ownerEvents = await owner.waitFor((events) => events.some((event) => event.url === bar.url));
      expect(anonymous.events.filter((event) => event.kind === 'RELEASE').map((event) => event.url)).toEqual([bar.url]);
      expect(ownerEvents.filter((event) => event.kind === 'RELEASE').map((event) => [event.url, event.stable])).toEqual([
        [foo.url, 3],
        [bar.url, 3],
      ]);
    } finally {
      anonymous.stop();
      owner.stop();
      await store.execute(SetPrivateDocument, { input: { url: foo.url, private: false } }, { token: kirk.token });
    }
  });

  it('ends the subscription with AUTHENTICATION_ERROR once its token is revoked, even with no event', async () => {
    const fixtures = seed(store, await loginAdmin(store));
    const spock = await fixtures.user('spock');
    const sse = subscribeSse(server.url, EntityChangedDocument, { urls: [foo.url] }, pickChange, { token: spock.token });
    const ws = subscribeWs(server.url, EntityChangedDocument, { urls: [foo.url] }, pickChange, { token: spock.token });
    await listening(2);
    const loggedOut = await store.execute(LogoutDocument, { input: {} }, { token: spock.token });
    expect(loggedOut.data?.logout.__typename).toBe('LogoutSuccess');
    await sse.ended();
    await ws.ended();
    for (const sub of [sse, ws]) expect(JSON.stringify(sub.errors)).toContain('AUTHENTICATION_ERROR');
      });

  it('resumes after an event id: a subscriber that reconnects gets what it missed, in order, then live ones', async () => {
    const first = subscribeWs(server.url, EntityChangedDocument, { urls: [foo.url] }, pickChange);
    await listening(1);
    await release(foo.url, ['stable'], 4);
    const [seen] = await first.waitFor((events) => events.length >= 1);
    first.stop();
    // Missed while disconnected:
    await release(foo.url, ['candidate'], 4);
    await release(foo.url, ['stable'], 0);
    const resumed = subscribeWs(server.url, EntityChangedDocument, { urls: [foo.url], after: seen!.eventId }, pickChange);
    // The same over SSE, with the Last-Event-ID header an EventSource sends when it reconnects.
    const sse = subscribeSse(server.url, EntityChangedDocument, { urls: [foo.url] }, pickChange, { headers: { 'last-event-id': seen!.eventId } });
    try {
      for (const sub of [resumed, sse]) {
        const events = await sub.waitFor((received) => received.length >= 2);
        expect(events.map((event) => event.channels)).toEqual([['latest/candidate'], ['latest/stable']]);
        expect(Number(events[0]!.eventId)).toBeGreaterThan(Number(seen!.eventId));
        expect(Number(events[1]!.eventId)).toBeGreaterThan(Number(events[0]!.eventId));
      }
      await listening(2);
      await release(foo.url, ['beta'], 1);
      for (const sub of [resumed, sse]) {
        const events = await sub.waitFor((received) => received.length >= 3);
        expect(events[2]!.channels).toEqual(['latest/beta']);
      }
    } finally {
      resumed.stop();
      sse.stop();
    }
  });

  it('delivers to 200 concurrent subscribers on one process', async () => {
    const subscribers = Array.from({ length: 200 }, (_, index) =>
      index % 2 === 0
        ? subscribeSse(server.url, EntityChangedDocument, { urls: [bar.url] }, pickChange)
        : subscribeWs(server.url, EntityChangedDocument, { urls: [bar.url] }, pickChange),
    );
    try {
      await listening(200);
      await release(bar.url, ['edge'], 4);
      await Promise.all(subscribers.map((sub) => sub.waitFor((events) => events.some((event) => event.channels.includes('latest/edge')), scaled(60_000))));
      for (const sub of subscribers) expect(sub.events.map((event) => event.kind)).toEqual(['RELEASE']);
    } finally {
      for (const sub of subscribers) sub.stop();
    }
  });
});

describe('releases (store-wide feed)', () => {
  it('delivers new releases of every visible entity, optionally of one owner, and nothing else', async () => {
    const all = subscribeSse(server.url, ReleasesDocument, {}, (data) => [data.releases.entity.url, data.releases.kind, data.releases.channels] as const);
    const ofOthers = subscribeSse(server.url, ReleasesDocument, { owner: 'someone-else' }, (data) => data.releases.entity.url);
    try {
      await listening(2);
      await store.execute(SetPrivateDocument, { input: { url: foo.url, private: true } }, { token: kirk.token });
      await release(foo.url, ['candidate'], 0);
      await release(bar.url, ['beta'], 2);
      await all.waitFor((events) => events.length >= 1);
      expect(all.events).toEqual([[bar.url, 'RELEASE', ['latest/beta']]]);
      expect(ofOthers.events).toEqual([]);
    } finally {
      all.stop();
      ofOthers.stop();
      await store.execute(SetPrivateDocument, { input: { url: foo.url, private: false } }, { token: kirk.token });
    }
  });
});
