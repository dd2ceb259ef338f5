/**
 * `npm run bench:push`: pushes/s and releases/s against a real server, at
 * concurrency 1, 8 and 64 (BENCH_CONCURRENCY, e.g. "1,8,64"), counting
 * failures: every write must succeed (the write pipeline queues writers of
 * one entity instead of failing them).
 *
 * Pushes: at each concurrency, BENCH_PUSHES (default 500) distinct charm
 * archives of about BENCH_PUSH_KIB KiB (default 10) each, through the
 * GraphQL multipart push, all into one entity (every push takes that
 * entity's next revision number) and each into an entity of its own (every
 * push creates the entity). The archives are built before timing.
 *
 * Releases: at each concurrency, BENCH_RELEASES (default 500) releases of
 * existing revisions into two channels at once (edge and beta), each moving
 * both pointers, into one entity and spread over the entities the pushes
 * created.
 *
 * Prints JSON. BENCH_DATABASE_URL runs it on PostgreSQL (see support.ts).
 */
import os from 'node:os';
import { ADMIN, envInt, letterName, mutate, push, run, sizedCharm, startBenchServer, summarize } from './support.js';

const PUSHES = envInt('BENCH_PUSHES', 500);
const PUSH_BYTES = envInt('BENCH_PUSH_KIB', 10) * 1024;
const RELEASES = envInt('BENCH_RELEASES', 500);
const LEVELS = (process.env.BENCH_CONCURRENCY ?? '1,8,64').split(',').map((level) => Number(level.trim()));
const RISKS = ['stable', 'candidate', 'beta', 'edge'];

/** Runs the phase, counting the tasks that failed instead of stopping at the first. */
async function measure(total: number, concurrency: number, task: (index: number) => Promise<void>) {
  let failures = 0;
  let firstFailure: string | undefined;
  const measured = await run(total, concurrency, async (index) => {
    try {
      await task(index);
    } catch (error) {
      failures++;
      firstFailure ??= error instanceof Error ? error.message.slice(0, 300) : String(error);
    }
  });
  return { ...summarize(measured, concurrency), failures, ...(firstFailure ? { firstFailure } : {}) };
}

async function main(): Promise<void> {
  const server = await startBenchServer();
  try {
    const { url: base, adminToken: token } = server;
    const rssAtStart = await server.rssMib();
    const owner = `~${ADMIN.username}`;

    // Pushes. Scenario names double as entity name prefixes.
    const pushes = [];
    let archiveBytes = 0;
    for (const concurrency of LEVELS) {
      for (const shared of [true, false]) {
        const prefix = `${shared ? 'one' : 'each'}c${concurrency}`;
        const names = Array.from({ length: PUSHES }, (_, i) => (shared ? prefix : letterName(prefix, i)));
        const archives = names.map((name) => sizedCharm(name, PUSH_BYTES));
        archiveBytes = archives[0]!.length;
        const measured = await measure(PUSHES, concurrency, async (i) => void (await push(base, token, archives[i]!)));
        pushes.push({ scenario: `${shared ? 'one entity' : 'an entity each'}, concurrency ${concurrency}`, ...measured });
      }
    }

    // Releases, into revisions the pushes made: `onec<level>` has PUSHES
    // revisions, `eachc<level>-*` one each. Alternating the revision (one
    // entity) or the channels (many) makes every release move its pointers.
    const oneEntity = `cs:${owner}/onec${LEVELS[0]}`;
    const releases = [];
    for (const concurrency of LEVELS) {
      const oneInput = (i: number) => ({ url: oneEntity, revision: (i + concurrency) % PUSHES, channels: ['edge', 'beta'] });
      const manyInput = (i: number) => {
        const first = Math.floor(i / PUSHES) % 2;
        return { url: `cs:${owner}/${letterName(`eachc${concurrency}`, i % PUSHES)}`, revision: 0, channels: [RISKS[first * 2]!, RISKS[first * 2 + 1]!] };
      };
      for (const [scenario, input] of [
        ['one entity', oneInput],
        ['many entities', manyInput],
      ] as const) {
        const measured = await measure(RELEASES, concurrency, (i) => mutate(base, token, 'release', 'ReleaseInput', input(i)));
        releases.push({ scenario: `${scenario}, two channels each, concurrency ${concurrency}`, ...measured });
      }
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
