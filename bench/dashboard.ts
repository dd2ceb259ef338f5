/**
 * `npm run bench:dashboard`: the dashboard query (a page of 100 entities with
 * their latest revision and whole channel map) against a real server.
 *
 * Set-up, through the API as the admin: BENCH_ENTITIES charms (default 100),
 * each with three pushed revisions released into stable, a branch, candidate
 * and edge, every third with a second track "2.0" released into 2.0/beta; the
 * even ones made public. Then, as the admin (who sees all) and anonymously
 * (who sees the public half): BENCH_REQUESTS sequential requests (default
 * 200) for p50/p95/p99 latency, and as many at concurrency 8 for requests/s;
 * each phase stops after BENCH_PHASE_SECONDS (default 30) and then reports
 * the requests it made.
 * Prints JSON. BENCH_DATABASE_URL runs it on PostgreSQL (see support.ts).
 *
 * SQL statements per page are not counted here: that needs a hook inside the
 * server process; test/channels-dashboard.test.ts counts them (a constant
 * handful, the same for 5 entities as for 100).
 */
import os from 'node:os';
import { envInt, graphql, letterName, mutate, push, run, startBenchServer, summarize } from './support.js';
import { charmZip } from '../test/support/zip.js';

const ENTITIES = envInt('BENCH_ENTITIES', 100);
const REQUESTS = envInt('BENCH_REQUESTS', 200);
// Each timed phase stops starting requests after this long (it then reports fewer).
const PHASE_SECONDS = envInt('BENCH_PHASE_SECONDS', 30);
const CONCURRENCY = 8;
const WARM_UP = 10;

const DASHBOARD = `query Dashboard($first: Int) {
  entities(first: $first) {
    edges {
      node {
        url
        latestRevision { number }
        channelMap { name revision { number } effectiveRevision { number } follows }
      }
    }
  }
}`;

interface DashboardData {
  entities: { edges: { node: { url: string; latestRevision: { number: number } | null; channelMap: unknown[] } }[] };
}

async function main(): Promise<void> {
  const server = await startBenchServer();
  try {
    const { url: base, adminToken: token } = server;
    const rssAtStart = await server.rssMib();

    const setup = await run(ENTITIES, CONCURRENCY, async (i) => {
      const name = letterName('dash', i);
      let url = '';
      for (let revision = 0; revision < 3; revision++) {
        url = (await push(base, token, charmZip({ name, revisionNote: `revision ${revision}` }))).url.replace(/-\d+$/, '');
      }
      const stable = ['stable', 'edge/fix'];
      if (i % 3 === 0) {
        await mutate(base, token, 'createTrack', 'CreateTrackInput', { url, name: '2.0' });
        stable.push('2.0/beta');
      }
      for (const [revision, channels] of [[0, stable], [1, ['candidate']], [2, ['edge']]] as const) {
        await mutate(base, token, 'release', 'ReleaseInput', { url, revision, channels });
      }
      if (i % 2 === 0) await mutate(base, token, 'setPrivate', 'SetPrivateInput', { url, private: false });
    });

    const first = Math.min(ENTITIES, 100);
    const callers = [
      { who: 'admin', token, expected: first },
      { who: 'anonymous', token: undefined, expected: Math.min(Math.ceil(ENTITIES / 2), 100) },
    ];
    const results = [];
    for (const caller of callers) {
      const query = () => graphql<DashboardData>(base, DASHBOARD, { first }, caller.token);
      const sample = await query();
      const edges = sample.data.entities.edges;
      if (edges.length !== caller.expected) throw new Error(`${caller.who} saw ${edges.length} entities, expected ${caller.expected}`);
      await run(WARM_UP, 1, async () => void (await query()));
      const sequential = await run(REQUESTS, 1, async () => void (await query()), PHASE_SECONDS);
      const concurrent = await run(REQUESTS, CONCURRENCY, async () => void (await query()), PHASE_SECONDS);
      results.push({
        caller: caller.who,
        entitiesPerPage: edges.length,
        channelsPerPage: edges.reduce((sum, edge) => sum + edge.node.channelMap.length, 0),
        responseBytes: sample.bytes,
        sequential: summarize(sequential, 1),
        concurrent: summarize(concurrent, CONCURRENCY),
      });
    }

    const report = {
      database: server.database,
      cpus: os.availableParallelism(),
      entities: ENTITIES,
      setup: { pushes: ENTITIES * 3, seconds: Number(setup.seconds.toFixed(1)) },
      serverRssAtStartMiB: Number(rssAtStart.toFixed(1)),
      serverRssAtEndMiB: Number((await server.rssMib()).toFixed(1)),
      dashboard: results,
    };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } finally {
    await server.stop();
  }
}

await main();
