/**
 * `npm run bench:writes-ab`: the store's CPU per push and per release against
 * another checkout (BENCH_BASE_DIR), on PostgreSQL (BENCH_DATABASE_URL),
 * phases of BENCH_PHASE_SECONDS (3) alternating between the two stores,
 * BENCH_ROUNDS (4) times, at each concurrency of BENCH_CONCURRENCY (`1,8`).
 * Both stores see the same machine load; CPU from /proc. Without
 * BENCH_BASE_DIR it measures this checkout alone (e.g. for a CPU profile
 * with BENCH_PROFILE_DIR, BENCH_OPERATIONS=release).
 */
import os from 'node:os';
import path from 'node:path';
import { type BenchServer, cpuTimes, envInt, graphql, graphqlMultipart, PUSH, RELEASE, run, sizedCharm, startBenchServer } from './support.js';

const ROUNDS = envInt('BENCH_ROUNDS', 4);
const PHASE_SECONDS = envInt('BENCH_PHASE_SECONDS', 3);
const PUSH_BYTES = envInt('BENCH_PUSH_KIB', 10) * 1024;
const LEVELS = (process.env.BENCH_CONCURRENCY ?? '1,8').split(',').map(Number);
const OPERATIONS = (process.env.BENCH_OPERATIONS ?? 'push,release').split(',') as Array<'push' | 'release'>;

async function main(): Promise<void> {
  const baseDir = process.env.BENCH_BASE_DIR;
  const servers: Array<[string, BenchServer]> = [['store', await startBenchServer()]];
  try {
    if (baseDir) {
      const { startBenchServer: startBase } = (await import(path.resolve(baseDir, 'bench/support.ts'))) as { startBenchServer: typeof startBenchServer };
      servers.push(['base', await startBase()]);
    }
    const push = (s: BenchServer, url: string, archive: Buffer) => graphqlMultipart<{ push: { __typename: string } }>(s.url, PUSH, { input: { archive: null, url } }, 'input.archive', archive, s.adminToken);
    const release = (s: BenchServer, url: string, revision: number) =>
      graphql<{ release: { __typename: string } }>(s.url, RELEASE, { input: { url, revision, channels: ['latest/edge', 'latest/beta'] } }, s.adminToken);
    for (const [, s] of servers) for (let i = 0; i < 2; i++) await push(s, '~bench-admin/ab-release', sizedCharm('ab', PUSH_BYTES));
    const totals: Record<string, { cpu: number; system: number; requests: number; failures: number }> = {};
    for (const operation of OPERATIONS) {
      for (const concurrency of LEVELS) {
        for (let round = 0; round < ROUNDS; round++) {
          for (const [name, s] of servers) {
            const archives = operation === 'push' ? Array.from({ length: 300 * concurrency * PHASE_SECONDS }, () => sizedCharm('ab', PUSH_BYTES)) : [];
            let failures = 0;
            let counter = 0;
            const before = await cpuTimes(s.pid);
            const measured = await run(archives.length || 1_000_000, concurrency, async (i) => {
              try {
                const answer = operation === 'push' ? (await push(s, '~bench-admin/ab-push', archives[i]!)).data.push : (await release(s, 'cs:~bench-admin/ab-release', counter++ % 2)).data.release;
                if (!answer.__typename.endsWith('Success')) failures++;
              } catch {
                failures++;
              }
            }, PHASE_SECONDS);
            const after = await cpuTimes(s.pid);
            const cpu = after.user + after.system - before.user - before.system;
            const key = `${operation} c=${concurrency} ${name}`;
            const total = (totals[key] ??= { cpu: 0, system: 0, requests: 0, failures: 0 });
            total.system += after.system - before.system;
            total.cpu += cpu;
            total.requests += measured.latenciesMs.length;
            total.failures += failures;
          }
        }
        const line = servers.map(([name]) => {
          const t = totals[`${operation} c=${concurrency} ${name}`]!;
          return `${name} ${(t.cpu / t.requests).toFixed(2)} ms (system ${(t.system / t.requests).toFixed(2)}; ${t.requests} req, ${t.failures} failed)`;
        });
        const ratio = servers.length === 2 ? (() => {
          const a = totals[`${operation} c=${concurrency} store`]!, b = totals[`${operation} c=${concurrency} base`]!;
          return `, store/base ${((a.cpu / a.requests) / (b.cpu / b.requests)).toFixed(2)}`;
        })() : '';
        console.log(`${operation} c=${concurrency}: ${line.join(', ')} CPU per write${ratio} (load ${os.loadavg().map((n) => n.toFixed(1)).join(' ')})`);
      }
    }
  } finally {
    await Promise.all(servers.map(([, s]) => s.stop()));
  }
}

await main();
