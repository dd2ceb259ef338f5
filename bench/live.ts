/**
 * `npm run bench:live`: live updates with many subscribers on one server.
 *
 * Set-up, through the API as the admin: one public charm with two revisions.
 * BENCH_SUBSCRIBERS graphql-ws subscribers (default 1000, one WebSocket
 * each, anonymous, each selecting the entity's channel map) follow it; then
 * BENCH_RELEASES releases (default 20) are made one after another, each once
 * every subscriber got the previous one. Reports, as JSON:
 *  - deliveries/s: every subscriber's events over the time from the first
 *    release sent to the last event received;
 *  - delay from commit (the release mutation's answer) to delivery, p50/p95/max
 *    over all deliveries (a delivery can arrive before the answer: negative).
 * BENCH_DATABASE_URL runs it on PostgreSQL (see support.ts).
 */
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { envInt, graphql, push, startBenchServer } from './support.js';
import { charmZip } from '../test/support/zip.js';

const SUBSCRIBERS = envInt('BENCH_SUBSCRIBERS', 1000);
const RELEASES = envInt('BENCH_RELEASES', 20);

const SUBSCRIPTION = `subscription($urls: [String!]!) {
  entityChanged(urls: $urls) { eventId kind entity { channelMap { name revision { number } } } }
}`;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

async function main(): Promise<void> {
  const server = await startBenchServer();
  const clients: Array<ReturnType<typeof createClient>> = [];
  try {
    const { url: base, adminToken: token } = server;
    const charm = 'cs:~bench-admin/livebench';
    await push(base, token, charmZip({ name: 'livebench', revisionNote: 'a' }), charm);
    await push(base, token, charmZip({ name: 'livebench', revisionNote: 'b' }), charm);
    await graphql(base, 'mutation($input: SetPrivateInput!) { setPrivate(input: $input) { __typename } }', { input: { url: charm, private: false } }, token);

    // Arrival times per event id, one list per subscriber.
    const arrivals = new Map<string, number[]>();
    let connected = 0;
    for (let index = 0; index < SUBSCRIBERS; index++) {
      // Connect in batches of 50: a thousand handshakes at once would trip graphql-ws's 3 s init timeout on a small machine.
      if (index % 50 === 0) {
        const waitUntil = Date.now() + 60_000;
        while (connected < index && Date.now() < waitUntil) await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const client = createClient({ url: `${base.replace(/^http/, 'ws')}/graphql`, webSocketImpl: WebSocket, retryAttempts: 0, lazy: false, on: { connected: () => void connected++ } });
      clients.push(client);
      client.subscribe<{ entityChanged: { eventId: string } }>({ query: SUBSCRIPTION, variables: { urls: [charm] } }, {
        next: (value) => {
          const id = value.data?.entityChanged.eventId;
          if (!id) return;
          let list = arrivals.get(id);
          if (!list) arrivals.set(id, (list = []));
          list.push(performance.now());
        },
        error: (error) => console.error('subscription error', error),
        complete: () => undefined,
      });
    }
    process.stderr.write(`${connected} of ${SUBSCRIBERS} connected\n`);
    const deadline = Date.now() + 120_000;
    while (connected < SUBSCRIBERS && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    // The server subscribes each one after its WebSocket connects; give the last ones a moment.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const rssWithSubscribers = await server.rssMib();

    const delays: number[] = [];
    let delivered = 0;
    const started = performance.now();
    let lastArrival = started;
    for (let index = 0; index < RELEASES; index++) {
      const answer = await graphql<{ release: { __typename: string } }>(
        base,
        'mutation($input: ReleaseInput!) { release(input: $input) { __typename } }',
        { input: { url: charm, channels: ['stable'], revision: index % 2 } },
        token,
      );
      const committed = performance.now();
      if (answer.data.release.__typename !== 'ReleaseSuccess') throw new Error(JSON.stringify(answer.data));
      // Wait until every subscriber got this release (the newest event id).
      const waitUntil = Date.now() + 60_000;
      let eventId: string | undefined;
      for (;;) {
        eventId = [...arrivals.keys()].sort((a, b) => Number(b) - Number(a))[0];
        if (eventId && (arrivals.get(eventId)?.length ?? 0) >= SUBSCRIBERS && !seen.has(eventId)) break;
        if (Date.now() > waitUntil) break;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      if (!eventId) throw new Error('no event arrived');
      process.stderr.write(`release ${index + 1}: ${arrivals.get(eventId)?.length ?? 0} deliveries\n`);
      seen.add(eventId);
      const times = arrivals.get(eventId) ?? [];
      delivered += times.length;
      for (const time of times) {
        delays.push(time - committed);
        lastArrival = Math.max(lastArrival, time);
      }
    }
    const seconds = (lastArrival - started) / 1000;
    const sorted = [...delays].sort((a, b) => a - b);
    const round = (n: number) => Number(n.toFixed(1));
    console.log(
      JSON.stringify(
        {
          database: server.database,
          subscribers: SUBSCRIBERS,
          connected,
          releases: RELEASES,
          deliveries: delivered,
          expectedDeliveries: SUBSCRIBERS * RELEASES,
          deliveriesPerSecond: round(delivered / seconds),
          delayFromCommitMs: { p50: round(percentile(sorted, 50)), p95: round(percentile(sorted, 95)), max: round(sorted.at(-1) ?? NaN) },
          serverRssMib: rssWithSubscribers,
        },
        null,
        2,
      ),
    );
  } finally {
    await Promise.all(clients.map((client) => client.dispose()));
    await server.stop();
  }
}

const seen = new Set<string>();

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
