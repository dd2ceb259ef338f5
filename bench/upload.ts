/**
 * `npm run bench:upload`: starts the real server as a child process, streams
 * a generated body (1 GiB by default, BENCH_UPLOAD_MIB to change) through
 * POST /uploads, and prints the throughput and the server's memory. Target:
 * peak RSS below 256 MiB, i.e. the body is streamed to the blob store, never
 * held in memory.
 *
 * BENCH_SERVER=source runs the server through tsx instead of dist/ (built by
 * `npm ci` / `npm run build`). The throughput is also given as a ratio to
 * `sha384sum` reading the same bytes from a pipe.
 *
 * Scenarios, each a fresh server process: the embedded database on its first
 * start (an empty data directory: PGlite creates the database) and on a
 * restart (the common production case); then, when DATABASE_URL or
 * TEST_DATABASE_URL is set, PostgreSQL on a first start (a throwaway schema,
 * dropped afterwards) and a restart.
 *
 * Per scenario: the start-up time and peak RSS (VmHWM), the idle RSS once
 * the server answers (before the upload), and the peak RSS while the upload
 * runs (VmHWM reset just before it via /proc/<pid>/clear_refs). The exit
 * status is 1 when the upload itself grows a process by 256 MiB or more,
 * i.e. when something buffers the body.
 *
 * BENCH_BLOBS=s3 stores the blobs in an S3 bucket instead of files: an s3rver
 * (the tests' S3 server, test/support/s3.ts) in this process on loopback,
 * each scenario under a prefix of its own. BENCH_SCENARIOS=postgres skips the
 * embedded database's scenarios (embedded skips PostgreSQL's).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import pg from 'pg';
import { startS3Server, type TestS3Server } from '../test/support/s3.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const MIB = 1024 * 1024;
const SIZE_MIB = Number(process.env.BENCH_UPLOAD_MIB ?? 1024);
const TARGET_RSS_MIB = 256;
// BENCH_SERVER=source runs the TypeScript through tsx (`npm run dev`); by default the compiled dist/ (`npm start`).
const SERVER_ARGS =
  process.env.BENCH_SERVER === 'source' ? ['--import', 'tsx', path.join(ROOT, 'src/main.ts')] : ['--enable-source-maps', path.join(ROOT, 'dist/main.js')];
const ADMIN = { username: 'bench-admin', password: 'bench-password-1' };

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/** VmHWM (peak resident set) or VmRSS (current) of a process, in MiB. */
async function memoryMib(pid: number, field: 'VmHWM' | 'VmRSS'): Promise<number> {
  const status = await fs.readFile(`/proc/${pid}/status`, 'utf8');
  const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status);
  if (!match) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(match[1]) / 1024;
}

/**
 * Resets the process's VmHWM to its current RSS (Linux >= 4.0), so the peak
 * read afterwards is the upload's, not start-up's (migrations run the
 * WebAssembly schema engine, which peaks far above what serving needs).
 */
async function resetPeakRss(pid: number): Promise<boolean> {
  try {
    await fs.writeFile(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** 1 MiB chunks of varying bytes, produced on demand (backpressure decides the pace). */
function generatedBody(totalMib: number): Readable {
  let sent = 0;
  const chunk = Buffer.alloc(MIB);
  return new Readable({
    read() {
      if (sent === totalMib) return void this.push(null);
      chunk.fill(sent % 251);
      chunk.writeUInt32LE(sent, 0);
      sent += 1;
      this.push(Buffer.from(chunk));
    },
  });
}

function post(url: string, token: string, body: Readable, length: number): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-length': length, 'content-type': 'application/octet-stream' } }, (response) => {
      let text = '';
      response.on('data', (data: Buffer) => (text += data.toString()));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
    });
    request.on('error', reject);
    body.pipe(request);
  });
}

/** `sha384sum` over the same generated body through a pipe: the throughput an upload is compared with. */
async function sha384sumMiBps(): Promise<number | null> {
  const started = process.hrtime.bigint();
  const child = spawn('sha384sum', [], { stdio: ['pipe', 'ignore', 'inherit'] });
  const finished = new Promise<number | null>((resolve) => {
    child.once('error', () => resolve(null));
    child.once('exit', (code) => resolve(code === 0 ? SIZE_MIB / (Number(process.hrtime.bigint() - started) / 1e9) : null));
  });
  generatedBody(SIZE_MIB).pipe(child.stdin).on('error', () => undefined);
  return finished;
}

interface Scenario {
  name: string;
  /** Environment selecting the database; STORE_DATA_DIR is set for every scenario. */
  env: Record<string, string>;
  dataDir: string;
}

interface ScenarioResult {
  scenario: string;
  startupSeconds: number;
  startupPeakRssMiB: number;
  idleRssMiB: number;
  uploadPeakRssMiB: number;
  peakMeasuredFrom: string;
  uploadGrowthMiB: number;
  throughputMiBps: number;
  peakWithinTarget: boolean;
}

const round1 = (value: number) => Number(value.toFixed(1));

/** Starts a server, waits for /health, logs in, streams the body, stops the server. */
async function runScenario(scenario: Scenario): Promise<ScenarioResult> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const launched = process.hrtime.bigint();
  const child = spawn(process.execPath, SERVER_ARGS, {
    cwd: ROOT,
    env: {
      ...process.env,
      DATABASE_URL: '',
      ...scenario.env,
      HOST: '127.0.0.1',
      PORT: String(port),
      STORE_DATA_DIR: scenario.dataDir,
      STORE_ADMIN_USERNAME: ADMIN.username,
      STORE_ADMIN_PASSWORD: ADMIN.password,
      STORE_SCRYPT_COST: '1024',
      STORE_LOG_LEVEL: 'warn',
      STORE_MAX_UPLOAD_BYTES: String((SIZE_MIB + 1) * MIB),
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  try {
    for (let tries = 0; ; tries += 1) {
      if (child.exitCode !== null) throw new Error('the server exited during start-up');
      try {
        if ((await fetch(`${base}/health`)).ok) break;
      } catch {
        // not listening yet
      }
      if (tries > 600) throw new Error('the server did not start');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const startupSeconds = Number(process.hrtime.bigint() - launched) / 1e9;
    const login = await fetch(`${base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        query: 'mutation($input: LoginInput!) { login(input: $input) { ... on LoginSuccess { token } } }',
        variables: { input: ADMIN },
      }),
    });
    const token = ((await login.json()) as { data: { login: { token: string } } }).data.login.token;
    const startupPeak = await memoryMib(child.pid!, 'VmHWM');
    const idle = await memoryMib(child.pid!, 'VmRSS');
    const peakReset = await resetPeakRss(child.pid!);

    const started = process.hrtime.bigint();
    const response = await post(`${base}/uploads`, token, generatedBody(SIZE_MIB), SIZE_MIB * MIB);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    if (response.status !== 201) throw new Error(`upload failed: ${response.status} ${response.text}`);
    const receipt = JSON.parse(response.text) as { size: number; sha384: string };
    const uploadPeak = await memoryMib(child.pid!, 'VmHWM');
    return {
      scenario: scenario.name,
      startupSeconds: Number(startupSeconds.toFixed(2)),
      startupPeakRssMiB: round1(startupPeak),
      idleRssMiB: round1(idle),
      // With the reset, the peak while the upload ran; without it, the whole life's peak.
      uploadPeakRssMiB: round1(uploadPeak),
      peakMeasuredFrom: peakReset ? 'upload start (VmHWM reset via clear_refs)' : 'process start (clear_refs not writable)',
      uploadGrowthMiB: round1(uploadPeak - idle),
      throughputMiBps: round1(receipt.size / MIB / seconds),
      peakWithinTarget: uploadPeak < TARGET_RSS_MIB,
    };
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
  }
}

/** Runs `run` with `url` pointing at a new schema of its own, dropped afterwards. */
async function withThrowawaySchema<T>(url: string, run: (schemaUrl: string) => Promise<T>): Promise<T> {
  const schema = `bench_${randomBytes(6).toString('hex')}`;
  const schemaUrl = new URL(url);
  schemaUrl.searchParams.set('schema', schema);
  try {
    return await run(schemaUrl.toString());
  } finally {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.end();
  }
}

const BLOBS = process.env.BENCH_BLOBS?.trim() || 'file';
if (!['file', 's3'].includes(BLOBS)) throw new Error(`BENCH_BLOBS=${BLOBS}: expected file or s3`);
const SCENARIOS = process.env.BENCH_SCENARIOS?.trim() || 'all';
if (!['all', 'embedded', 'postgres'].includes(SCENARIOS)) throw new Error(`BENCH_SCENARIOS=${SCENARIOS}: expected all, embedded or postgres`);

async function main(): Promise<void> {
  const results: ScenarioResult[] = [];
  const s3: TestS3Server | undefined = BLOBS === 's3' ? await startS3Server() : undefined;
  try {
    await runScenarios(results, s3);
  } finally {
    await s3?.close();
  }
  await report(results);
}

async function runScenarios(results: ScenarioResult[], s3: TestS3Server | undefined): Promise<void> {
  const run = async (scenario: Scenario) => {
    const name = s3 ? `${scenario.name}, s3` : scenario.name;
    process.stderr.write(`bench: ${name}...\n`);
    const blobEnv = s3 ? s3.env(`bench-${randomBytes(4).toString('hex')}/`) : {};
    results.push({ ...(await runScenario({ ...scenario, env: { ...blobEnv, ...scenario.env } })), scenario: name });
  };
  if (SCENARIOS !== 'postgres') {
    const embeddedDir = await fs.mkdtemp(path.join(os.tmpdir(), 'charmstore-bench-'));
    try {
      await run({ name: 'embedded, first start', env: {}, dataDir: embeddedDir });
      await run({ name: 'embedded, restart', env: {}, dataDir: embeddedDir });
    } finally {
      await fs.rm(embeddedDir, { recursive: true, force: true });
    }
  }
  const url = process.env.DATABASE_URL || process.env.TEST_DATABASE_URL;
  if (url && SCENARIOS !== 'embedded') {
    const blobDir = await fs.mkdtemp(path.join(os.tmpdir(), 'charmstore-bench-'));
    try {
      await withThrowawaySchema(url, async (schemaUrl) => {
        await run({ name: 'postgres, first start', env: { DATABASE_URL: schemaUrl }, dataDir: blobDir });
        await run({ name: 'postgres, restart', env: { DATABASE_URL: schemaUrl }, dataDir: blobDir });
      });
    } finally {
      await fs.rm(blobDir, { recursive: true, force: true });
    }
  }
}

async function report(results: ScenarioResult[]): Promise<void> {
  const url = process.env.DATABASE_URL || process.env.TEST_DATABASE_URL;
  const baseline = await sha384sumMiBps();
  const ratio = (r: ScenarioResult) => (baseline ? Number((r.throughputMiBps / baseline).toFixed(2)) : null);
  const server = process.env.BENCH_SERVER === 'source' ? 'source (tsx)' : 'compiled (dist/)';
  process.stdout.write(
    `${JSON.stringify({ server, blobs: BLOBS, uploadedMiB: SIZE_MIB, targetPeakRssMiB: TARGET_RSS_MIB, sha384sumMiBps: baseline && round1(baseline), results: results.map((r) => ({ ...r, ofSha384sum: ratio(r) })) }, null, 2)}\n\n`,
  );
  const columns = ['scenario', 'start-up s', 'start-up peak MiB', 'idle RSS MiB', 'upload peak MiB', 'upload growth MiB', 'MiB/s', 'x sha384sum'];
  const rows = results.map((r) => [r.scenario, r.startupSeconds, r.startupPeakRssMiB, r.idleRssMiB, r.uploadPeakRssMiB, r.uploadGrowthMiB, r.throughputMiBps, ratio(r) ?? '-'].map(String));
  const widths = columns.map((column, i) => Math.max(column.length, ...rows.map((row) => row[i]!.length)));
  for (const row of [columns, ...rows]) process.stdout.write(`${row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ')}\n`);
  if (!url) process.stdout.write('(set DATABASE_URL or TEST_DATABASE_URL to measure PostgreSQL too)\n');
  if (results.some((r) => r.uploadGrowthMiB >= TARGET_RSS_MIB)) process.exitCode = 1;
}

await main();
