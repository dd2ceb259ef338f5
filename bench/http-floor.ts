/**
 * `npm run bench:http-floor`: the CPU per request of `{ __typename }`
 * (anonymous) on node:http alone, Yoga's HTTP adapter alone
 * (@whatwg-node/server around a handler that answers the JSON), a bare graphql-yoga, a bare graphql-yoga
 * with the store's schema, and the store itself (BENCH_DATABASE_URL, else
 * PGlite), requests alternated between the five so that all see the same
 * load: what of a small request's cost is the store's and what is the HTTP
 * and GraphQL framework's. BENCH_REQUESTS (1500) each, after 200 to warm up.
 */
import os from 'node:os';
import { cpuMs, envInt, startBenchServer, startRawServer } from './support.js';

const REQUESTS = envInt('BENCH_REQUESTS', 1500);
const store = await startBenchServer();
const servers = [
  ['node:http', await startRawServer('http-floor-server.ts', { HTTP_FLOOR: 'http' })],
  ['whatwg-node adapter', await startRawServer('http-floor-server.ts', { HTTP_FLOOR: 'adapter' })],
  ['yoga', await startRawServer('http-floor-server.ts', { HTTP_FLOOR: 'yoga' })],
  ['yoga + the store schema', await startRawServer('http-floor-server.ts', { HTTP_FLOOR: 'schema' })],
  ['store', store],
] as const;
try {
  const ask = (url: string) =>
    fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ __typename }' }) }).then((r) => r.text());
  for (let i = 0; i < 200; i++) for (const [, s] of servers) await ask(s.url);
  const before = await Promise.all(servers.map(([, s]) => cpuMs(s.pid)));
  for (let i = 0; i < REQUESTS; i++) for (const [, s] of servers) await ask(s.url);
  const after = await Promise.all(servers.map(([, s]) => cpuMs(s.pid)));
  console.log(`${servers.map(([name], i) => `${name} ${((after[i]! - before[i]!) / REQUESTS).toFixed(2)} ms`).join(', ')} of CPU per request (load ${os.loadavg()[0]!.toFixed(1)})`);
} finally {
  for (const [, s] of servers) await s.stop();
}
