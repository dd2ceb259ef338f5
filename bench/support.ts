/**
 * What the request benchmarks share: a real server started as a child
 * process (embedded PGlite, or a throwaway schema on BENCH_DATABASE_URL),
 * a GraphQL client over HTTP (JSON and multipart), a bounded-concurrency
 * runner and latency percentiles. Traffic goes to 127.0.0.1 only.
 */
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { promisify } from 'node:util';
import { runServersFrom, startServer } from '../test/support/process.js';
import { charmZip } from '../test/support/zip.js';

const ROOT = path.resolve(import.meta.dirname, '..');

let productionBuild: Promise<void> | undefined;
/**
 * Benchmarks measure the server as `npm start` runs it: the compiled
 * dist/main.js with --enable-source-maps and no test flags, built here from
 * the checked-out sources (~1 s) so that what is measured is what is checked
 * out. BENCH_SERVER=source runs the sources through tsx instead (`npm run dev`).
 */
export function runServersAsInProduction(): Promise<void> {
  productionBuild ??= (async () => {
    if (process.env.BENCH_SERVER === 'source') return;
    await promisify(execFile)(process.execPath, [path.join(ROOT, 'scripts/build.mjs')]);
    runServersFrom(path.join(ROOT, 'dist'), []);
  })();
  return productionBuild;
}

/** NODE_OPTIONS for a bench store: BENCH_STORE_NODE_OPTIONS, and the CPU profiler's preload with BENCH_PROFILE_DIR. */
function storeNodeOptions(): { NODE_OPTIONS?: string } {
  const options = [process.env.BENCH_STORE_NODE_OPTIONS, process.env.BENCH_PROFILE_DIR ? `--import ${path.resolve(import.meta.dirname, 'cpu-profile.mjs')}` : ''].filter(Boolean);
  return options.length > 0 ? { NODE_OPTIONS: options.join(' ') } : {};
}

export const ADMIN = { username: 'bench-admin', password: 'bench-password-1' };

export interface BenchServer {
  url: string;
  database: 'pglite' | 'postgres';
  /** The PostgreSQL schema the store runs in (BENCH_DATABASE_URL), if any. */
  schema?: string;
  /** The server's process id (for its CPU time). */
  pid: number;
  adminToken: string;
  /** Server RSS now, in MiB (VmRSS of the child process). */
  rssMib(): Promise<number>;
  /** SIGTERM, wait for the exit, remove the data directory and the PostgreSQL schema. */
  stop(): Promise<void>;
}

/**
 * Starts the store (see runServersAsInProduction) with an admin account. With BENCH_DATABASE_URL the
 * store runs in a fresh `bench_<random>` schema of that database (created by
 * the server's migrations), dropped when stopped.
 */
export async function startBenchServer(): Promise<BenchServer> {
  await runServersAsInProduction();
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'charmstore-bench-'));
  const baseUrl = process.env.BENCH_DATABASE_URL;
  let databaseUrl: string | undefined;
  let schema: string | undefined;
  if (baseUrl) {
    schema = `bench_${randomBytes(6).toString('hex')}`;
    const parsed = new URL(baseUrl);
    parsed.searchParams.set('schema', schema);
    databaseUrl = parsed.toString();
  }
  const dropSchema = async () => {
    if (!baseUrl || !schema) return;
    const client = new pg.Client({ connectionString: baseUrl });
    await client.connect();
    try {
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    } finally {
      await client.end();
    }
  };
  let server;
  try {
    server = await startServer({
      STORE_DATA_DIR: dataDir,
      STORE_ADMIN_USERNAME: ADMIN.username,
      STORE_ADMIN_PASSWORD: ADMIN.password,
      // Only warnings: request logging would measure the logger.
      STORE_LOG_LEVEL: 'warn',
      // BENCH_PROFILE_DIR=dir: the store writes a CPU profile there when it stops (see bench/cpu-profile.mjs).
      // BENCH_STORE_NODE_OPTIONS: node options for the store only (e.g. V8 heap settings to compare against a base).
      ...storeNodeOptions(),
      ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    });
  } catch (error) {
    await fs.rm(dataDir, { recursive: true, force: true });
    await dropSchema();
    throw error;
  }
  const started = server;
  const stop = async () => {
    const code = await started.stop('SIGTERM');
    if (code !== 0) process.stderr.write(`the server exited with ${code}:\n${started.output()}\n`);
    await fs.rm(dataDir, { recursive: true, force: true });
    await dropSchema();
  };
  try {
    const login = await graphql<{ login: { __typename: string; token?: string } }>(
      started.url,
      'mutation($input: LoginInput!) { login(input: $input) { __typename ... on LoginSuccess { token } } }',
      { input: ADMIN },
    );
    if (!login.data.login.token) throw new Error(`admin login failed: ${JSON.stringify(login.data)}`);
    return {
      url: started.url,
      database: databaseUrl ? 'postgres' : 'pglite',
      ...(schema ? { schema } : {}),
      pid: started.child.pid!,
      adminToken: login.data.login.token,
      rssMib: async () => {
        const status = await fs.readFile(`/proc/${started.child.pid}/status`, 'utf8');
        return Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1] ?? NaN) / 1024;
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

export interface GraphQLAnswer<T> {
  data: T;
  /** Bytes of the response body. */
  bytes: number;
}

/** One GraphQL request as JSON; throws on an HTTP error or GraphQL errors. */
export async function graphql<T>(base: string, query: string, variables: Record<string, unknown> = {}, token?: string): Promise<GraphQLAnswer<T>> {
  const response = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return answer<T>(response);
}

/** A GraphQL multipart request (the spec's `operations` + `map`) carrying one file at `variables.<filePath>`. */
export async function graphqlMultipart<T>(
  base: string,
  query: string,
  variables: Record<string, unknown>,
  filePath: string,
  file: Buffer,
  token: string,
): Promise<GraphQLAnswer<T>> {
  const form = new FormData();
  form.set('operations', JSON.stringify({ query, variables }));
  form.set('map', JSON.stringify({ 0: [`variables.${filePath}`] }));
  form.set('0', new File([new Uint8Array(file)], 'archive.zip'));
  const response = await fetch(`${base}/graphql`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'x-graphql-yoga-csrf': '1' }, body: form });
  return answer<T>(response);
}

async function answer<T>(response: Response): Promise<GraphQLAnswer<T>> {
  const text = await response.text();
  if (!response.ok) throw new Error(`HTTP ${response.status}: ${text}`);
  const body = JSON.parse(text) as { data?: T; errors?: unknown };
  if (body.errors || !body.data) throw new Error(`GraphQL errors: ${text}`);
  return { data: body.data, bytes: Buffer.byteLength(text) };
}

/** The push the benchmarks send. */
export const PUSH = `mutation($input: PushInput!) {
  push(input: $input) {
    __typename
    ... on PushSuccess { duplicate revision { number url } }
    ... on Error { message }
  }
}`;

/** Pushes an archive (to the default ~admin/<name> when url is undefined); returns the new revision. */
export async function push(base: string, token: string, zip: Buffer, url?: string): Promise<{ number: number; url: string }> {
  const result = await graphqlMultipart<{ push: { __typename: string; duplicate?: boolean; revision?: { number: number; url: string }; message?: string } }>(
    base,
    PUSH,
    { input: { archive: null, url } },
    'input.archive',
    zip,
    token,
  );
  const outcome = result.data.push;
  if (outcome.__typename !== 'PushSuccess' || outcome.duplicate || !outcome.revision) throw new Error(`push failed: ${JSON.stringify(outcome)}`);
  return outcome.revision;
}

/**
 * A charm archive of about `bytes` bytes: the usual metadata, manifest and
 * hook plus stored (not deflated) random bytes, so every archive is distinct
 * and its size is what was asked.
 */
export function sizedCharm(name: string, bytes: number): Buffer {
  const note = randomBytes(8).toString('hex');
  // The extra entry adds its data plus 76 bytes of headers and its 8-byte name twice.
  const padding = Math.max(0, bytes - charmZip({ name, revisionNote: note }).length - 76 - 16);
  return charmZip({ name, revisionNote: note, extra: [{ name: 'data.bin', data: randomBytes(padding), method: 'store' }] });
}

/** A valid entity name for index i: "<prefix>-" and base-26 letters (a name may not end in "-<digits>"). */
export function letterName(prefix: string, index: number): string {
  let letters = '';
  let rest = index;
  do {
    letters = String.fromCharCode(97 + (rest % 26)) + letters;
    rest = Math.floor(rest / 26);
  } while (rest > 0);
  return `${prefix}-${letters}`;
}

/**
 * Runs task(0..total-1) with at most `concurrency` in flight; returns each
 * task's latency in ms and the wall time. With `maxSeconds`, no task starts
 * after that long (fewer than `total` ran then), so that a slow path keeps
 * the benchmark bounded in time instead of running for many minutes.
 */
export async function run(
  total: number,
  concurrency: number,
  task: (index: number) => Promise<void>,
  maxSeconds = Infinity,
): Promise<{ latenciesMs: number[]; seconds: number }> {
  const latenciesMs: number[] = [];
  let next = 0;
  const started = process.hrtime.bigint();
  const elapsed = () => Number(process.hrtime.bigint() - started) / 1e9;
  const worker = async () => {
    while (next < total && elapsed() < maxSeconds) {
      const index = next++;
      const t0 = process.hrtime.bigint();
      await task(index);
      latenciesMs.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, worker));
  return { latenciesMs, seconds: elapsed() };
}

/** Nearest-rank percentiles and the rate, rounded for printing. */
export function summarize(measured: { latenciesMs: number[]; seconds: number }, concurrency: number) {
  const sorted = [...measured.latenciesMs].sort((a, b) => a - b);
  const percentile = (p: number) => sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
  const round = (n: number) => Number(n.toFixed(1));
  return {
    requests: sorted.length,
    concurrency,
    seconds: Number(measured.seconds.toFixed(2)),
    perSecond: round(sorted.length / measured.seconds),
    p50Ms: round(percentile(50)),
    p95Ms: round(percentile(95)),
    p99Ms: round(percentile(99)),
    maxMs: round(sorted.at(-1) ?? NaN),
  };
}

/** A positive integer from the environment, or the default. */
export function envInt(name: string, fallback: number): number {
  const value = process.env[name];
  if (value === undefined || value === '') return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed <= 0) throw new Error(`${name} must be a positive integer, got ${JSON.stringify(value)}`);
  return parsed;
}

/** A contract mutation `field(input: Input!)`; throws unless it answers its Success type. */
export async function mutate(base: string, token: string, field: string, inputType: string, input: Record<string, unknown>): Promise<void> {
  const result = await graphql<Record<string, { __typename: string; message?: string }>>(
    base,
    `mutation($input: ${inputType}!) { ${field}(input: $input) { __typename ... on Error { message } } }`,
    { input },
    token,
  );
  const outcome = result.data[field];
  if (!outcome?.__typename.endsWith('Success')) throw new Error(`${field} failed: ${JSON.stringify(outcome)}`);
}

/** CPU time (user + system) a process has used so far, in ms: a measure a busy machine disturbs less than rates. */
export async function cpuMs(pid: number): Promise<number> {
  const { user, system } = await cpuTimes(pid);
  return user + system;
}

/** CPU time a process (all its threads) has used so far, in user and in kernel mode, in ms (/proc; USER_HZ is 100 on Linux). */
export async function cpuTimes(pid: number): Promise<{ user: number; system: number }> {
  const fields = (await fs.readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
  return { user: (Number(fields[11]) * 1000) / 100, system: (Number(fields[12]) * 1000) / 100 };
}

export interface RawServer {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/** A raw baseline server (`bench/raw-*.ts`) as a child process; resolves once it prints its url. */
export async function startRawServer(script: string, env: Record<string, string | undefined>): Promise<RawServer> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.resolve(import.meta.dirname, script)], {
    cwd: path.resolve(import.meta.dirname, '..'),
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString().trim()));
    child.once('exit', (code) => reject(new Error(`the raw server exited with ${code}`)));
  });
  return {
    url,
    pid: child.pid!,
    stop: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** The release that bench:writes and bench:writes-ab send (the raw server answers the same JSON for it, as for PUSH). */
export const RELEASE = `mutation($input: ReleaseInput!) {
  release(input: $input) { __typename ... on ReleaseSuccess { releases { channel } } ... on Error { message } }
}`;
