/**
 * `npm run bench:writes`: the store's push and release against a raw
 * minimal baseline (bench/raw-writes.ts: node:http + `pg`; push = blob
 * written and fsynced + one transaction, release = one transaction) on the
 * same PostgreSQL database (BENCH_DATABASE_URL, required), with store/raw
 * ratios, like `bench:reads`.
 *
 * Each side writes to entities of its own, created beforehand through the
 * store: pushes of distinct ~BENCH_PUSH_KIB (10) KiB charms as the next
 * revision of one entity, and releases of alternating revisions into two
 * channels (edge and beta, both pointers move every time), at each
 * concurrency of BENCH_CONCURRENCY (`1,8`). Before timing, one push and one
 * release on each side must answer the same JSON (entity names aside).
 * Phases of BENCH_PHASE_SECONDS (5) alternate store and raw, BENCH_ROUNDS (3)
 * times (BENCH_OPERATIONS, `push,release`, to time only some); medians are printed, with each server's CPU time per answer (from
 * /proc, steadier than rates on a busy machine; the database's CPU is on
 * neither side). Prints JSON.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { cpuMs, envInt, graphql, graphqlMultipart, PUSH, RELEASE, run, sizedCharm, startBenchServer, startRawServer, summarize } from './support.js';

const PUSH_BYTES = envInt('BENCH_PUSH_KIB', 10) * 1024;
const ROUNDS = envInt('BENCH_ROUNDS', 3);
const PHASE_SECONDS = envInt('BENCH_PHASE_SECONDS', 5);
const LEVELS = (process.env.BENCH_CONCURRENCY ?? '1,8').split(',').map((level) => Number(level.trim()));
const OPERATIONS = (process.env.BENCH_OPERATIONS ?? 'push,release').split(',').map((operation) => operation.trim()) as Array<'push' | 'release'>;


/** One side's requests: the store's GraphQL, or the raw server's two routes, answering the same JSON. */
interface Side {
  name: 'store' | 'raw';
  pid: number;
  push(url: string, archive: Buffer): Promise<string>;
  release(url: string, revision: number, channels: string[]): Promise<string>;
}

async function ok(response: Response): Promise<string> {
  const text = await response.text();
  if (!response.ok || text.includes('"errors"') || !text.includes('Success')) throw new Error(`failed: ${response.status} ${text.slice(0, 300)}`);
  return text;
}

async function main(): Promise<void> {
  if (!process.env.BENCH_DATABASE_URL) throw new Error('bench:writes compares against raw PostgreSQL: set BENCH_DATABASE_URL');
  const server = await startBenchServer();
  const blobDir = await fs.mkdtemp(path.join(os.tmpdir(), 'charmstore-raw-blobs-'));
  const raw = await startRawServer('raw-writes.ts', { RAW_DATABASE_URL: process.env.BENCH_DATABASE_URL, RAW_SCHEMA: server.schema!, RAW_BLOB_DIR: blobDir });
  try {
    const token = server.adminToken;
    const owner = '~bench-admin';
    const store: Side = {
      name: 'store',
      pid: server.pid,
      push: async (url, archive) => JSON.stringify((await graphqlMultipart(server.url, PUSH, { input: { archive: null, url } }, 'input.archive', archive, token)).data),
      release: async (url, revision, channels) => JSON.stringify((await graphql(server.url, RELEASE, { input: { url, revision, channels } }, token)).data),
    };
    const rawSide: Side = {
      name: 'raw',
      pid: raw.pid,
      push: async (url, archive) => {
        const form = new FormData();
        form.set('operations', JSON.stringify({ query: PUSH, variables: { input: { archive: null, url } } }));
        form.set('map', JSON.stringify({ 0: ['variables.input.archive'] }));
        form.set('0', new File([new Uint8Array(archive)], 'archive.zip'));
        const text = await ok(await fetch(`${raw.url}/push`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form }));
        return JSON.stringify(JSON.parse(text).data);
      },
      release: async (url, revision, channels) => {
        const body = JSON.stringify({ url, revision, channels });
        const text = await ok(await fetch(`${raw.url}/release`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body }));
        return JSON.stringify(JSON.parse(text).data);
      },
    };
    const sides = [store, rawSide];
    // Each side's entities, with two revisions to release: created through the store.
    const entity = (side: Side, what: string, concurrency: number) => `${owner}/${side.name}-${what}-c${concurrency}`;
    for (const concurrency of LEVELS) {
      for (const side of sides) {
        for (const what of ['push', 'release']) {
          for (let i = 0; i < 2; i++) await store.push(entity(side, what, concurrency), sizedCharm('w', PUSH_BYTES));
        }
      }
    }
    // Same answers (entity names aside) before timing.
    const same = async (label: string, answer: (side: Side) => Promise<string>) => {
      const [a, b] = [await answer(store), await answer(rawSide)];
      if (a.replaceAll('store-', 'X-') !== b.replaceAll('raw-', 'X-')) throw new Error(`${label}: the answers differ:\n${a}\n${b}`);
    };
    await same('push', (side) => side.push(entity(side, 'push', LEVELS[0]!), sizedCharm('w', PUSH_BYTES)));
    await same('release', (side) => side.release(`cs:${entity(side, 'release', LEVELS[0]!)}`, 0, ['latest/edge', 'latest/beta']));

    const rows: Array<Record<string, unknown>> = [];
    for (const operation of OPERATIONS) {
      for (const concurrency of LEVELS) {
        const rounds: Record<string, Array<{ perSecond: number; cpuMsPerAnswer: number; p99Ms: number; failures: number }>> = { store: [], raw: [] };
        let counter = 0;
        for (let round = 0; round < ROUNDS; round++) {
          for (const side of sides) {
            const url = entity(side, operation, concurrency);
            // Distinct archives, built before the phase so that the client's work is not timed.
            const archives = operation === 'push' ? Array.from({ length: 400 * concurrency }, () => sizedCharm('w', PUSH_BYTES)) : [];
            let failures = 0;
            const cpuBefore = await cpuMs(side.pid);
            const measured = await run(
              archives.length || 1_000_000,
              concurrency,
              async (i) => {
                try {
                  if (operation === 'push') await side.push(url, archives[i]!);
                  else await side.release(`cs:${url}`, counter++ % 2, ['latest/edge', 'latest/beta']);
                } catch {
                  failures++;
                }
              },
              PHASE_SECONDS,
            );
            const summary = summarize(measured, concurrency);
            const cpu = (await cpuMs(side.pid)) - cpuBefore;
            rounds[side.name]!.push({ perSecond: summary.perSecond, cpuMsPerAnswer: Number((cpu / summary.requests).toFixed(1)), p99Ms: summary.p99Ms, failures });
          }
        }
        const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
        const of = (name: string, key: 'perSecond' | 'cpuMsPerAnswer' | 'p99Ms') => median(rounds[name]!.map((r) => r[key]));
        rows.push({
          operation,
          concurrency,
          storePerSecond: of('store', 'perSecond'),
          rawPerSecond: of('raw', 'perSecond'),
          ratio: Number((of('store', 'perSecond') / of('raw', 'perSecond')).toFixed(2)),
          storeCpuMsPerAnswer: of('store', 'cpuMsPerAnswer'),
          rawCpuMsPerAnswer: of('raw', 'cpuMsPerAnswer'),
          p99StoreMs: of('store', 'p99Ms'),
          p99RawMs: of('raw', 'p99Ms'),
          failures: { store: rounds.store!.reduce((n, r) => n + r.failures, 0), raw: rounds.raw!.reduce((n, r) => n + r.failures, 0) },
        });
      }
    }
    const load = os.loadavg().map((n) => Number(n.toFixed(1)));
    process.stdout.write(`${JSON.stringify({ database: server.database, cpus: os.availableParallelism(), loadAverage: load, rounds: ROUNDS, phaseSeconds: PHASE_SECONDS, rows }, null, 2)}\n`);
  } finally {
    await raw.stop();
    await server.stop();
    await fs.rm(blobDir, { recursive: true, force: true });
  }
}

await main();
