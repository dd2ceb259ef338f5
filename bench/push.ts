/**
 * `npm run bench:push`: pushes/s and releases/s against a real server.
 *
 * Pushes: BENCH_PUSHES (default 500) distinct charm archives of about
 * BENCH_PUSH_KIB KiB (default 10) each, through the GraphQL multipart push,
 * sequentially and at concurrency 8, all into one entity (every push takes
 * that entity's next revision number) and each into an entity of its own
 * (every push creates the entity). The archives are built before timing.
 *
 * Releases: BENCH_RELEASES (default 500) releases of existing revisions,
 * each one moving a channel pointer, sequentially and at concurrency 8, into
 * one entity and spread over the entities the pushes created.
 *
 * Prints JSON. BENCH_DATABASE_URL runs it on PostgreSQL (see support.ts).
 */
import os from 'node:os';
import { ADMIN, envInt, letterName, mutate, push, run, sizedCharm, startBenchServer, summarize } from './support.js';

const PUSHES = envInt('BENCH_PUSHES', 500);
const PUSH_BYTES = envInt('BENCH_PUSH_KIB', 10) * 1024;
const RELEASES = envInt('BENCH_RELEASES', 500);
const CONCURRENCY = 8;
const RISKS = ['stable', 'candidate', 'beta', 'edge'];

async function main(): Promise<void> {
  const server = await startBenchServer();
  try {
    const { url: base, adminToken: token } = server;
    const rssAtStart = await server.rssMib();
    const owner = `~${ADMIN.username}`;

    // Pushes. Scenario names double as entity name prefixes.
    const pushScenarios = [
      { scenario: 'one entity, sequential', prefix: 'oneseq', shared: true, concurrency: 1 },
      { scenario: 'one entity, concurrency 8', prefix: 'onecon', shared: true, concurrency: CONCURRENCY },
      { scenario: 'an entity each, sequential', prefix: 'eachseq', shared: false, concurrency: 1 },
      { scenario: 'an entity each, concurrency 8', prefix: 'eachcon', shared: false, concurrency: CONCURRENCY },
    ];
    const pushes = [];
    let archiveBytes = 0;
    for (const { scenario, prefix, shared, concurrency } of pushScenarios) {
      const names = Array.from({ length: PUSHES }, (_, i) => (shared ? prefix : letterName(prefix, i)));
      const archives = names.map((name) => sizedCharm(name, PUSH_BYTES));
      archiveBytes = archives[0]!.length;
      const measured = await run(PUSHES, concurrency, async (i) => void (await push(base, token, archives[i]!)));
      pushes.push({ scenario, ...summarize(measured, concurrency) });
    }

    // Releases, into revisions the pushes made: `oneseq` has PUSHES revisions,
    // `eachseq-*` and `eachcon-*` one each. Alternating the revision (one
    // entity) or the channel (many) makes every release move a pointer.
    const oneEntity = `cs:${owner}/oneseq`;
    const manyEntities = (prefix: string, i: number) => ({
      url: `cs:${owner}/${letterName(prefix, i % PUSHES)}`,
      revision: 0,
      channels: [RISKS[Math.floor(i / PUSHES) % RISKS.length]!],
    });
    const releaseScenarios = [
      { scenario: 'one entity, sequential', concurrency: 1, input: (i: number) => ({ url: oneEntity, revision: i % PUSHES, channels: ['edge'] }) },
      {
        scenario: 'one entity, concurrency 8',
        concurrency: CONCURRENCY,
        input: (i: number) => ({ url: oneEntity, revision: (i + 1) % PUSHES, channels: ['beta'] }),
      },
      { scenario: 'many entities, sequential', concurrency: 1, input: (i: number) => manyEntities('eachseq', i) },
      { scenario: 'many entities, concurrency 8', concurrency: CONCURRENCY, input: (i: number) => manyEntities('eachcon', i) },
    ];
    const releases = [];
    for (const { scenario, concurrency, input } of releaseScenarios) {
      const measured = await run(RELEASES, concurrency, (i) => mutate(base, token, 'release', 'ReleaseInput', input(i)));
      releases.push({ scenario, ...summarize(measured, concurrency) });
    }

    const report = {
      database: server.database,
      cpus: os.availableParallelism(),
      archiveBytes,
      serverRssAtStartMiB: Number(rssAtStart.toFixed(1)),
      serverRssAtEndMiB: Number((await server.rssMib()).toFixed(1)),
      pushes,
      releases,
    };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } finally {
    await server.stop();
  }
}

await main();
