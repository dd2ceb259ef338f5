/**
 * `npm run bench:startup`: start to /health of the compiled server
 * (`dist/main.js`, what `npm start` runs) on PostgreSQL (BENCH_DATABASE_URL)
 * when nothing needs migrating: a first start migrates a fresh schema, then
 * BENCH_STARTS (5) restarts are timed. Prints, per restart, the wall time to
 * the first healthy answer and the server's CPU time (user + system, from
 * /proc) by then: CPU time is what a busy machine disturbs least. Also the
 * load average, which wall times depend on.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { envInt } from './support.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const STARTS = envInt('BENCH_STARTS', 5);

async function cpuMs(pid: number): Promise<number> {
  const fields = (await fs.readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

async function start(env: Record<string, string>, port: number): Promise<{ wallMs: number; cpuMs: number }> {
  const t0 = performance.now();
  const child = spawn(process.execPath, ['--enable-source-maps', path.join(ROOT, 'dist/main.js')], {
    cwd: ROOT,
    env: { ...process.env, ...env, HOST: '127.0.0.1', PORT: String(port), STORE_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode}`);
      try {
        if ((await fetch(`http://127.0.0.1:${port}/health`)).ok) break;
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return { wallMs: Math.round(performance.now() - t0), cpuMs: await cpuMs(child.pid!) };
  } finally {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
}

async function main(): Promise<void> {
  const base = process.env.BENCH_DATABASE_URL;
  if (!base) throw new Error('set BENCH_DATABASE_URL (PostgreSQL)');
  const schema = `bench_${randomBytes(6).toString('hex')}`;
  const url = new URL(base);
  url.searchParams.set('schema', schema);
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'charmstore-startup-'));
  const env = {
    DATABASE_URL: url.toString(),
    STORE_DATA_DIR: dataDir,
    STORE_ADMIN_USERNAME: 'bench-admin',
    STORE_ADMIN_PASSWORD: 'bench-password-1',
  };
  const port = 20000 + Math.floor(Math.random() * 20000);
  try {
    const first = await start(env, port);
    const restarts = [];
    for (let i = 0; i < STARTS; i++) restarts.push(await start(env, port));
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
    const report = {
      firstStart: first,
      restarts,
      medianWallMs: median(restarts.map((r) => r.wallMs)),
      medianCpuMs: median(restarts.map((r) => r.cpuMs)),
      loadAverage: os.loadavg().map((n) => Number(n.toFixed(1))),
    };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } finally {
    await fs.rm(dataDir, { recursive: true, force: true });
    const client = new pg.Client({ connectionString: base });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.end();
  }
}

await main();
