/**
 * `npm run bench:reads`: the store against a raw baseline (bench/raw-reads.ts:
 * node:http + hand-written SQL, byte-identical JSON, the same visibility
 * rules) on the reads that matter: a dashboard page (100 entities with
 * tracks, latest revision, resources, and the channel map with each
 * channel's last three releases) as the admin and anonymously, at
 * concurrency 1, 8 and 32; and `resolve` at concurrency 1 and 8. Before
 * timing, every answer of the store is compared with the raw one.
 *
 * The data is written straight into the tables with SQL (BENCH_ENTITIES
 * entities, default 200, with BENCH_REVISIONS revisions each, default 3;
 * the even ones public; five channels, two releases each, a second track on
 * every third, a resource pinned on every fifth). Rounds (BENCH_ROUNDS,
 * default 3) interleave the store and the raw server, swapping which goes
 * first, each phase lasting BENCH_PHASE_SECONDS (default 3); printed are
 * the medians of rates and of the per-round store/raw ratios, and failures.
 *
 * BENCH_DATABASE_URL runs both on PostgreSQL (a throwaway schema); without
 * it, on PGlite: the store on its data directory, the raw server on a copy
 * (PGlite has one connection and one process).
 *
 * BENCH_SCALE=1000,10000,100000 (with BENCH_REVISIONS=10 for 1M revisions)
 * adds the scale run: resolve and the anonymous page at concurrency 1, p50
 * and p99 of the store at each size, and the p99 growth from the first.
 *
 * BENCH_PARTS=1 adds the parts run: the store's CPU per answer (as the
 * admin, one request at a time) for the page without some of its parts, so
 * that each part's cost is the difference (no raw side, no comparison).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startServer, type ServerProcess } from '../test/support/process.js';
import { ADMIN, cpuMs, envInt, graphql, type RawServer, run, runServersAsInProduction, startRawServer, summarize } from './support.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const ENTITIES = envInt('BENCH_ENTITIES', 200);
const REVISIONS = Math.max(3, envInt('BENCH_REVISIONS', 3));
const ROUNDS = envInt('BENCH_ROUNDS', 3);
const PHASE_SECONDS = envInt('BENCH_PHASE_SECONDS', 3);
const SCALE = (process.env.BENCH_SCALE ?? '').split(',').filter(Boolean).map(Number);
const PARTS = process.env.BENCH_PARTS === '1';

const PAGE = `query Page($first: Int!) {
  entities(first: $first) {
    edges {
      node {
        url
        tracks { name }
        latestRevision { number }
        resources { name }
        channelMap {
          name closed follows
          revision { number }
          effectiveRevision { number }
          history(first: 3) { edges { node { action releasedBy revision { number } resources { name revision } } } }
        }
      }
    }
  }
}`;

const RESOLVE = `query Resolve($url: String!, $channel: String) {
  resolve(url: $url, channel: $channel) {
    ... on Resolution { channel requestedChannel revision { number } resources { name revision } }
    ... on Error { message }
  }
}`;

type Query = (sql: string, params?: unknown[]) => Promise<unknown>;

/** Writes entities [from, to) with their revisions, tracks, channels, releases and resources, as pushes and releases would. */
async function seed(query: Query, from: number, to: number): Promise<void> {
  const owner = `(SELECT "namespaceId" FROM "User" WHERE username = '${ADMIN.username}')`;
  const user = `(SELECT id FROM "User" WHERE username = '${ADMIN.username}')`;
  const fresh = `e."namespaceId" = ${owner} AND e."createdAt" = to_timestamp(${from})`;
  await query(
    `INSERT INTO "Entity" ("namespaceId", name, kind, private, "nextRevision", "createdAt", "updatedAt")
     SELECT ${owner}, 'e' || i, 'CHARM', i % 2 = 1, ${REVISIONS}, to_timestamp(${from}), now() FROM generate_series(${from}, ${to - 1}) i`,
  );
  await query(`INSERT INTO "Track" ("entityId", name) SELECT e.id, 'latest' FROM "Entity" e WHERE ${fresh}`);
  await query(`INSERT INTO "Track" ("entityId", name) SELECT e.id, '2.0' FROM "Entity" e WHERE ${fresh} AND e.id % 3 = 0`);
  await query(
    `INSERT INTO "Revision" ("entityId", number, sha384, sha256, size, "createdById", summary, series)
     SELECT e.id, g, md5(e.id || ':' || g), md5(g || ':' || e.id), 1000, ${user}, 'A benchmark charm', '{}'
       FROM "Entity" e, generate_series(0, ${REVISIONS - 1}) g WHERE ${fresh}`,
  );
  await query(
    `INSERT INTO "Channel" ("entityId", track, risk, branch, "revisionId", "lastReleasedAt", "updatedAt")
     SELECT e.id, v.track, v.risk::"Risk", v.branch, r.id, now(), now()
       FROM "Entity" e
       CROSS JOIN (VALUES ('latest', 'STABLE', '', 3), ('latest', 'CANDIDATE', '', 2), ('latest', 'EDGE', '', 1), ('latest', 'EDGE', 'fix', 3), ('2.0', 'BETA', '', 3))
             AS v (track, risk, branch, back)
       JOIN "Revision" r ON r."entityId" = e.id AND r.number = ${REVISIONS} - v.back
      WHERE ${fresh} AND (v.track = 'latest' OR e.id % 3 = 0)`,
  );
  // Two releases per channel: the revision before the pointer, then the pointer.
  for (const back of [1, 0]) {
    await query(
      `INSERT INTO "Release" ("channelId", "entityId", action, "revisionId", "createdById")
       SELECT c.id, c."entityId", 'RELEASE', r2.id, ${user}
         FROM "Channel" c JOIN "Entity" e ON e.id = c."entityId" JOIN "Revision" r ON r.id = c."revisionId"
         JOIN "Revision" r2 ON r2."entityId" = c."entityId" AND r2.number = r.number - ${back}
        WHERE ${fresh} ORDER BY c.id`,
    );
  }
  await query(`INSERT INTO "Resource" ("entityId", name, type, "nextRevision") SELECT e.id, 'data', 'file', 2 FROM "Entity" e WHERE ${fresh} AND e.id % 5 = 0`);
  await query(
    `INSERT INTO "ResourceRevision" ("resourceId", revision, sha384, sha256, size, "createdById")
     SELECT res.id, g, md5(res.id || '/' || g), md5(g || '/' || res.id), 10, ${user}
       FROM "Resource" res JOIN "Entity" e ON e.id = res."entityId", generate_series(0, 1) g WHERE ${fresh}`,
  );
  await query(
    `INSERT INTO "ReleaseResource" ("releaseId", "resourceRevisionId")
     SELECT rl.id, rr.id FROM "Release" rl JOIN "Entity" e ON e.id = rl."entityId"
       JOIN "Resource" res ON res."entityId" = e.id JOIN "ResourceRevision" rr ON rr."resourceId" = res.id AND rr.revision = 1
      WHERE ${fresh}`,
  );
  await query('ANALYZE');
}

interface Setup {
  database: 'postgres' | 'pglite';
  store: ServerProcess;
  raw: RawServer;
  token: string;
  /** Adds entities [from, to) (the store stays up on PostgreSQL; PGlite is restarted around it). */
  grow(from: number, to: number): Promise<void>;
  stop(): Promise<void>;
}

async function login(url: string): Promise<string> {
  const answer = await graphql<{ login: { token?: string } }>(
    url,
    'mutation($input: LoginInput!) { login(input: $input) { ... on LoginSuccess { token } } }',
    { input: ADMIN },
  );
  if (!answer.data.login.token) throw new Error('admin login failed');
  return answer.data.login.token;
}

async function setUp(): Promise<Setup> {
  await runServersAsInProduction();
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'charmstore-reads-'));
  const baseEnv = {
    STORE_DATA_DIR: dataDir,
    STORE_ADMIN_USERNAME: ADMIN.username,
    STORE_ADMIN_PASSWORD: ADMIN.password,
    STORE_LOG_LEVEL: 'warn',
    // BENCH_PROFILE_DIR=dir: the store writes a CPU profile there when it stops (see bench/cpu-profile.mjs).
    // BENCH_STORE_NODE_OPTIONS: node options for the store only (e.g. V8 heap settings to compare).
    NODE_OPTIONS: [process.env.BENCH_STORE_NODE_OPTIONS, process.env.BENCH_PROFILE_DIR ? `--import ${path.join(ROOT, 'bench/cpu-profile.mjs')}` : '']
      .filter(Boolean)
      .join(' '),
  };
  const baseUrl = process.env.BENCH_DATABASE_URL;
  if (baseUrl) {
    const schema = `bench_${randomBytes(6).toString('hex')}`;
    const parsed = new URL(baseUrl);
    parsed.searchParams.set('schema', schema);
    const store = await startServer({ ...baseEnv, DATABASE_URL: parsed.toString() });
    const client = new pg.Client({ connectionString: baseUrl, options: `-c search_path=${schema}` });
    await client.connect();
    const query: Query = (sql, params) => client.query(sql, params);
    await seed(query, 0, ENTITIES);
    const raw = await startRawServer('raw-reads.ts', { RAW_DATABASE_URL: baseUrl, RAW_SCHEMA: schema });
    return {
      database: 'postgres',
      store,
      raw,
      token: await login(store.url),
      grow: (from, to) => seed(query, from, to),
      stop: async () => {
        await raw.stop();
        await store.stop('SIGTERM');
        await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
        await client.end();
        await fs.rm(dataDir, { recursive: true, force: true });
      },
    };
  }
  // PGlite: one process owns the directory. Seed it with the store stopped, give the raw server a copy.
  const pgliteDir = path.join(dataDir, 'pglite');
  const rawDir = path.join(dataDir, 'raw-pglite');
  const { PGlite } = await import('@electric-sql/pglite');
  const seedOffline = async (from: number, to: number) => {
    const db = await PGlite.create(pgliteDir);
    await seed((sql, params) => db.query(sql, params), from, to);
    await db.close();
    await fs.rm(rawDir, { recursive: true, force: true });
    execFileSync('cp', ['-a', pgliteDir, rawDir]);
  };
  // Sign in before the copy, so that the raw server knows the token too.
  const first = await startServer(baseEnv);
  const token = await login(first.url);
  await first.stop('SIGTERM');
  await seedOffline(0, ENTITIES);
  const setup: Setup = {
    database: 'pglite',
    store: await startServer(baseEnv),
    raw: await startRawServer('raw-reads.ts', { RAW_PGLITE_DIR: rawDir }),
    token,
    grow: async (from, to) => {
      await setup.raw.stop();
      await setup.store.stop('SIGTERM');
      await seedOffline(from, to);
      setup.store = await startServer(baseEnv);
      setup.raw = await startRawServer('raw-reads.ts', { RAW_PGLITE_DIR: rawDir });
    },
    stop: async () => {
      await setup.raw.stop();
      await setup.store.stop('SIGTERM');
      await fs.rm(dataDir, { recursive: true, force: true });
    },
  };
  return setup;
}

interface Path {
  name: string;
  token: string | undefined;
  concurrency: number[];
  storePid: number;
  rawPid: number;
  store(i: number): Promise<string>;
  raw(i: number): Promise<string>;
}

async function text(response: Response): Promise<string> {
  const body = await response.text();
  if (!response.ok) throw new Error(`HTTP ${response.status}: ${body.slice(0, 500)}`);
  // GraphQL answers errors with HTTP 200 (e.g. "Unexpected error." when the pool runs dry): a failure too.
  if (body.includes('"errors":[')) throw new Error(`GraphQL errors: ${body.slice(0, 500)}`);
  return body;
}

function paths(setup: Setup, entities: number): Path[] {
  const post = (token: string | undefined, query: string, variables: Record<string, unknown>) =>
    fetch(`${setup.store.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
    }).then(text);
  const get = (token: string | undefined, pathname: string) =>
    fetch(`${setup.raw.url}${pathname}`, { headers: token ? { authorization: `Bearer ${token}` } : {} }).then(text);
  // Public entities (even numbers), spread over the whole table.
  const resolveUrl = (i: number) => `cs:~${ADMIN.username}/e${(i * 7919 * 2) % (entities - (entities % 2))}`;
  const pids = { storePid: setup.store.child.pid!, rawPid: setup.raw.pid };
  const page = (who: string, token: string | undefined, concurrency: number[]): Path => ({
    name: `dashboard page, ${who}`,
    token,
    concurrency,
    ...pids,
    store: () => post(token, PAGE, { first: 100 }),
    raw: () => get(token, '/dashboard?first=100'),
  });
  return [
    page('admin', setup.token, [1, 8, 32]),
    page('anonymous', undefined, [1, 8, 32]),
    {
      name: 'resolve, anonymous',
      token: undefined,
      concurrency: [1, 8],
      ...pids,
      store: (i) => post(undefined, RESOLVE, { url: resolveUrl(i), channel: 'beta' }),
      raw: (i) => get(undefined, `/resolve?url=${encodeURIComponent(resolveUrl(i))}&channel=beta`),
    },
  ];
}

/** Both servers answer the same bytes, or the benchmark stops before timing anything. */
async function checkIdentical(list: Path[]): Promise<void> {
  for (const target of list) {
    for (const i of [0, 1, 2]) {
      const [store, raw] = await Promise.all([target.store(i), target.raw(i)]);
      if (store !== raw) {
        let at = 0;
        while (store[at] === raw[at]) at++;
        throw new Error(`${target.name}: the store and the raw server differ at byte ${at}:\n store ${store.slice(Math.max(0, at - 200), at + 200)}\n raw   ${raw.slice(Math.max(0, at - 200), at + 200)}`);
      }
    }
  }
}

async function timed(task: (i: number) => Promise<string>, concurrency: number, pid: number) {
  let failures = 0;
  const cpuBefore = await cpuMs(pid);
  const measured = await run(
    1_000_000,
    concurrency,
    async (i) => {
      try {
        await task(i);
      } catch {
        failures++;
      }
    },
    PHASE_SECONDS,
  );
  const cpu = (await cpuMs(pid)) - cpuBefore;
  return { ...summarize(measured, concurrency), failures, cpuMsPerRequest: cpu / Math.max(1, measured.latenciesMs.length) };
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
};
const round2 = (n: number) => Number(n.toFixed(2));

async function throughput(setup: Setup) {
  const list = paths(setup, ENTITIES);
  await checkIdentical(list);
  // Warm both (query plans, JIT-free caches, connections).
  for (const target of list) for (let i = 0; i < 5; i++) await Promise.all([target.store(i), target.raw(i)]);
  const rows = [];
  for (const target of list) {
    for (const concurrency of target.concurrency) {
      const store: Array<Awaited<ReturnType<typeof timed>>> = [];
      const raw: typeof store = [];
      for (let r = 0; r < ROUNDS; r++) {
        const order = r % 2 === 0 ? (['store', 'raw'] as const) : (['raw', 'store'] as const);
        for (const which of order) {
          (which === 'store' ? store : raw).push(await timed(target[which], concurrency, which === 'store' ? target.storePid : target.rawPid));
        }
      }
      const row = {
        path: target.name,
        concurrency,
        storePerSecond: median(store.map((s) => s.perSecond)),
        rawPerSecond: median(raw.map((s) => s.perSecond)),
        ratio: round2(median(store.map((s, i) => s.perSecond / raw[i]!.perSecond))),
        // CPU per answer: what the rates would say on an idle machine (the raw server's share of the database's CPU is not counted on either side).
        storeCpuMs: round2(median(store.map((s) => s.cpuMsPerRequest))),
        rawCpuMs: round2(median(raw.map((s) => s.cpuMsPerRequest))),
        storeP99Ms: median(store.map((s) => s.p99Ms)),
        rawP99Ms: median(raw.map((s) => s.p99Ms)),
        failures: { store: store.reduce((n, s) => n + s.failures, 0), raw: raw.reduce((n, s) => n + s.failures, 0) },
      };
      rows.push(row);
      process.stderr.write(`${JSON.stringify(row)}\n`);
    }
  }
  return rows;
}

async function scale(setup: Setup) {
  const results = [];
  let seeded = ENTITIES;
  for (const size of SCALE) {
    if (size > seeded) {
      const started = Date.now();
      await setup.grow(seeded, size);
      process.stderr.write(`seeded ${size} entities (${size * REVISIONS} revisions) in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
      seeded = size;
    }
    const list = paths(setup, size).filter((target) => target.token === undefined);
    await checkIdentical(list);
    for (const target of list) for (let i = 0; i < 20; i++) await target.store(i);
    const row: Record<string, unknown> = { entities: size, revisions: size * REVISIONS };
    for (const target of list) {
      const store = await timed(target.store, 1, target.storePid);
      const raw = await timed(target.raw, 1, target.rawPid);
      row[target.name] = { storeP50Ms: store.p50Ms, storeP99Ms: store.p99Ms, rawP99Ms: raw.p99Ms, failures: store.failures };
    }
    results.push(row);
    process.stderr.write(`${JSON.stringify(row)}\n`);
  }
  return results;
}

/** The page, and the page without some of its parts (see BENCH_PARTS above). */
const HISTORY = /history\(first: 3\) \{.*\} \} \} \}/;
const PAGE_PARTS: Record<string, string> = {
  'whole page': PAGE,
  'without history': PAGE.replace(HISTORY, ''),
  'without revision and effectiveRevision': PAGE.replace(/revision \{ number \}\s+effectiveRevision \{ number \}/, ''),
  'history with only action': PAGE.replace(HISTORY, 'history(first: 3) { edges { node { action } } }'),
  'channel maps with only name, closed, follows': PAGE.replace(/channelMap \{[\s\S]*?\n {8}\}/, 'channelMap { name closed follows }'),
};

async function parts(setup: Setup) {
  const requests = envInt('BENCH_PARTS_REQUESTS', 20);
  const rows: Record<string, number> = {};
  for (const [name, query] of Object.entries(PAGE_PARTS)) {
    if (query === PAGE && name !== 'whole page') throw new Error(`BENCH_PARTS: "${name}" left the page unchanged`);
    const ask = () =>
      fetch(`${setup.store.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${setup.token}` },
        body: JSON.stringify({ query, variables: { first: 100 } }),
      }).then(text);
    for (let i = 0; i < 3; i++) await ask();
    const before = await cpuMs(setup.store.child.pid!);
    for (let i = 0; i < requests; i++) await ask();
    rows[name] = round2(((await cpuMs(setup.store.child.pid!)) - before) / requests);
    process.stderr.write(`parts: ${name}: ${rows[name]} ms of store CPU per answer\n`);
  }
  return rows;
}

async function main(): Promise<void> {
  const setup = await setUp();
  try {
    const report: Record<string, unknown> = {
      database: setup.database,
      cpus: os.availableParallelism(),
      loadAverage: os.loadavg().map((n) => Number(n.toFixed(2))),
      entities: ENTITIES,
      revisionsPerEntity: REVISIONS,
      rounds: ROUNDS,
      phaseSeconds: PHASE_SECONDS,
      throughput: await throughput(setup),
    };
    if (SCALE.length > 0) report.scale = await scale(setup);
    if (PARTS) report.parts = await parts(setup);
    report.loadAverageAtEnd = os.loadavg().map((n) => Number(n.toFixed(2)));
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } finally {
    await setup.stop();
  }
}

await main();
