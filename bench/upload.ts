/**
 * `npm run bench:upload`: starts the real server as a child process, streams
 * a generated body (1 GiB by default, BENCH_UPLOAD_MIB to change) through
 * POST /uploads, and prints the throughput and the server's peak RSS
 * (VmHWM from /proc/<pid>/status). Target: peak RSS below 256 MiB, i.e. the
 * body is streamed to the blob store, never held in memory.
 *
 * The figures separate what the upload costs (the peak while it runs, over
 * the idle RSS before it) from the process's idle footprint (tsx compiling
 * the sources, the Prisma client, PGlite when embedded, the migration
 * engine), which no upload code can change. The exit status is 1 when the
 * upload itself grows the process by 256 MiB or more, i.e. when something
 * buffers the body.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';

const ROOT = path.resolve(import.meta.dirname, '..');
const MIB = 1024 * 1024;
const SIZE_MIB = Number(process.env.BENCH_UPLOAD_MIB ?? 1024);
const TARGET_RSS_MIB = 256;
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

async function main(): Promise<void> {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'charmstore-bench-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/main.ts')], {
    cwd: ROOT,
    env: {
      ...process.env,
      HOST: '127.0.0.1',
      PORT: String(port),
      STORE_DATA_DIR: dataDir,
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
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
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
    const rssBefore = await memoryMib(child.pid!, 'VmRSS');
    const peakReset = await resetPeakRss(child.pid!);

    const started = process.hrtime.bigint();
    const response = await post(`${base}/uploads`, token, generatedBody(SIZE_MIB), SIZE_MIB * MIB);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    if (response.status !== 201) throw new Error(`upload failed: ${response.status} ${response.text}`);
    const receipt = JSON.parse(response.text) as { size: number; sha384: string };
    const rssPeak = await memoryMib(child.pid!, 'VmHWM');

    const result = {
      uploadedMiB: receipt.size / MIB,
      seconds: Number(seconds.toFixed(2)),
      throughputMiBps: Number((receipt.size / MIB / seconds).toFixed(1)),
      serverStartupPeakRssMiB: Number(startupPeak.toFixed(1)),
      serverRssBeforeUploadMiB: Number(rssBefore.toFixed(1)),
      // With the reset, the peak while the upload ran; without it, the whole life's peak.
      serverPeakRssMiB: Number(rssPeak.toFixed(1)),
      peakMeasuredFrom: peakReset ? 'upload start (VmHWM reset via clear_refs)' : 'process start (clear_refs not writable)',
      uploadGrowthMiB: Number((rssPeak - rssBefore).toFixed(1)),
      targetPeakRssMiB: TARGET_RSS_MIB,
      peakWithinTarget: rssPeak < TARGET_RSS_MIB,
      uploadGrowthWithinTarget: rssPeak - rssBefore < TARGET_RSS_MIB,
    };
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    if (!result.uploadGrowthWithinTarget) process.exitCode = 1;
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    await fs.rm(dataDir, { recursive: true, force: true });
  }
}

await main();
