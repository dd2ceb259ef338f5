/**
 * `npm run bench:overhead`: the store's CPU time per request for small
 * requests, where the fixed cost of the HTTP and GraphQL layer shows:
 * `{ __typename }` anonymously and signed in, `resolve` of a released charm
 * and of a missing one, a kept introspection answer (read cache on), and a
 * release into two channels. BENCH_REQUESTS (1000) of each, one at a time,
 * after 100 to warm up; CPU from /proc. BENCH_DATABASE_URL runs it on
 * PostgreSQL (else PGlite); STORE_READ_CACHE=false turns the read cache off
 * (the cached case then executes every time).
 *
 * BENCH_BASE_DIR=<another checkout, with node_modules and src/generated>
 * starts that store too and alternates each request between the two, so
 * that both see the same load: on a shared machine the only comparison of
 * two versions worth reading. Prints one line per case: CPU per request,
 * and the median latency of each (what a client waiting on one request at a
 * time sees; the database's share of it included).
 */
import os from 'node:os';
import path from 'node:path';
import { type BenchServer, cpuMs, envInt, graphql, push, sizedCharm, startBenchServer } from './support.js';

const REQUESTS = envInt('BENCH_REQUESTS', 1000);
const RELEASE = 'mutation($input: ReleaseInput!) { release(input: $input) { __typename ... on ReleaseSuccess { releases { channel } } ... on Error { message } } }';
const RESOLVE = `query Resolve($url: String!, $channel: String) {
  resolve(url: $url, channel: $channel) { ... on Resolution { channel requestedChannel revision { number } resources { name revision } } ... on Error { message } }
}`;
const INTROSPECTION = '{ __schema { types { name description fields { name description type { name } } } } }';

const cases: Array<[string, (server: BenchServer, i: number) => Promise<unknown>]> = [
  ['{ __typename }, anonymous', (s) => graphql(s.url, '{ __typename }')],
  ['{ __typename }, signed in', (s) => graphql(s.url, '{ __typename }', {}, s.adminToken)],
  ['resolve, anonymous', (s) => graphql(s.url, RESOLVE, { url: 'cs:~bench-admin/overhead', channel: 'stable' })],
  ['resolve of a missing charm', (s) => graphql(s.url, RESOLVE, { url: 'cs:~bench-admin/missing', channel: 'stable' })],
  ['introspection, ~65 kB (kept when the read cache is on)', (s) => graphql(s.url, INTROSPECTION)],
  ['release, two channels', (s, i) => graphql(s.url, RELEASE, { input: { url: 'cs:~bench-admin/overhead', revision: i % 2, channels: ['latest/edge', 'latest/beta'] } }, s.adminToken)],
];

async function main(): Promise<void> {
  const baseDir = process.env.BENCH_BASE_DIR;
  const startBase = baseDir ? ((await import(path.resolve(baseDir, 'bench/support.ts'))) as { startBenchServer: typeof startBenchServer }).startBenchServer : null;
  const servers: Array<[string, BenchServer]> = [['store', await startBenchServer()]];
  try {
    if (startBase) servers.push(['base', await startBase()]);
    for (const [, server] of servers) {
      for (let i = 0; i < 2; i++) await push(server.url, server.adminToken, sizedCharm('overhead', 2048), '~bench-admin/overhead');
      await graphql(server.url, RELEASE, { input: { url: 'cs:~bench-admin/overhead', revision: 0, channels: ['latest/stable'] } }, server.adminToken);
    }
    for (const [name, request] of cases.filter(([name]) => !process.env.BENCH_CASES || process.env.BENCH_CASES.split(',').some((part) => name.startsWith(part)))) {
      for (let i = 0; i < 100; i++) for (const [, server] of servers) await request(server, i);
      const latencies = servers.map((): number[] => []);
      const before = await Promise.all(servers.map(([, server]) => cpuMs(server.pid)));
      for (let i = 0; i < REQUESTS; i++) {
        for (const [index, [, server]] of servers.entries()) {
          const started = performance.now();
          await request(server, i);
          latencies[index]!.push(performance.now() - started);
        }
      }
      const after = await Promise.all(servers.map(([, server]) => cpuMs(server.pid)));
      const perRequest = servers.map(([label], index) => [label, (after[index]! - before[index]!) / REQUESTS] as const);
      const medians = latencies.map((list) => list.sort((a, b) => a - b)[Math.floor(list.length / 2)]!);
      const ratio = perRequest.length === 2 ? `, store/base ${(perRequest[0]![1] / perRequest[1]![1]).toFixed(2)}` : '';
      const latencyRatio = medians.length === 2 ? `, store/base ${(medians[0]! / medians[1]!).toFixed(2)}` : '';
      console.log(
        `${name}: ${perRequest.map(([label, ms]) => `${label} ${ms.toFixed(2)} ms`).join(', ')} of CPU per request${ratio}; ` +
          `median latency ${servers.map(([label], index) => `${label} ${medians[index]!.toFixed(2)} ms`).join(', ')}${latencyRatio} (load ${os.loadavg()[0]!.toFixed(1)})`,
      );
    }
  } finally {
    await Promise.all(servers.map(([, server]) => server.stop()));
  }
}

await main();
