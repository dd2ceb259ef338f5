import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, expect, it } from 'vitest';
import { testDatabaseKind, testDatabaseUrl, withMigratedDatabase } from '../support/database.js';
import { serverGraphql, startServer } from '../support/process.js';

/**
 * A streamed upload is never held in memory: the server's resident memory
 * grows by far less than the body while it receives, writes and hashes it
 * (docs/performance.md, Uploads). Measured in a real server process, from its
 * peak resident set (VmHWM, reset just before the upload). No timing.
 */
/**
 * 160 MiB: the growth does not depend on the body's size (36-38 MiB measured
 * at 96, 128 and 256 MiB), so a larger body proves no more; 256 MiB cost
 * ~1 s more of CPU.
 */
const BODY_MIB = 160;
/** Half the body: anything buffering the whole body, or a large part of it, exceeds it. What it takes now: ~35-50 MiB. */
const MAX_GROWTH_MIB = 80;

const tempDirs: string[] = [];
afterAll(async () => {
  await Promise.all(tempDirs.map((dir) => fs.rm(dir, { recursive: true, force: true })));
});

async function databaseEnv(): Promise<Record<string, string>> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'charmstore-upload-memory-'));
  tempDirs.push(dir);
  if (testDatabaseKind() === 'pglite') return { STORE_DATA_DIR: await withMigratedDatabase(dir) };
  const url = new URL(testDatabaseUrl());
  url.searchParams.set('schema', `upmem_${randomBytes(6).toString('hex')}`);
  return { DATABASE_URL: url.toString(), STORE_DATA_DIR: dir };
}

async function memoryMib(pid: number, field: 'VmHWM' | 'VmRSS'): Promise<number> {
  const status = await fs.readFile(`/proc/${pid}/status`, 'utf8');
  return Number(new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status)?.[1]) / 1024;
}

/** 1 MiB chunks, produced as the connection takes them, hashed as they go. */
function body(hash: ReturnType<typeof createHash>): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (sent === BODY_MIB) return void this.push(null);
      const chunk = Buffer.alloc(1024 * 1024, sent % 251);
      chunk.writeUInt32LE(sent++, 0);
      hash.update(chunk);
      this.push(chunk);
    },
  });
}

it.runIf(process.platform === 'linux')(
  `a ${BODY_MIB} MiB upload grows the server by less than ${MAX_GROWTH_MIB} MiB`,
  async () => {
    const server = await startServer({ ...(await databaseEnv()), STORE_ADMIN_USERNAME: 'root', STORE_ADMIN_PASSWORD: 'correct-horse-battery' });
    try {
      const login = await serverGraphql(server, undefined, 'mutation { login(input: {username: "root", password: "correct-horse-battery"}) { ... on LoginSuccess { token } } }', {});
      const token = (login.data as { login: { token: string } }).login.token;
      const pid = server.child.pid!;
      // VmHWM from now on: start-up (migrations, PGlite) peaks higher than serving.
      await fs.writeFile(`/proc/${pid}/clear_refs`, '5');
      const before = await memoryMib(pid, 'VmRSS');
      const sha384 = createHash('sha384');
      const answer = await new Promise<{ status: number; text: string }>((resolve, reject) => {
        const request = http.request(`${server.url}/uploads`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-length': BODY_MIB * 1024 * 1024, 'content-type': 'application/octet-stream' },
        });
        request.on('response', (response) => {
          let text = '';
          response.on('data', (data: Buffer) => (text += data.toString()));
          response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
        });
        request.on('error', reject);
        body(sha384).pipe(request);
      });
      const peak = await memoryMib(pid, 'VmHWM');
      expect(answer.status, answer.text).toBe(201);
      expect(JSON.parse(answer.text)).toMatchObject({ sha384: sha384.digest('hex'), size: BODY_MIB * 1024 * 1024 });
      expect(peak - before, `resident memory went from ${before} to ${peak} MiB`).toBeLessThan(MAX_GROWTH_MIB);
    } finally {
      await server.stop();
    }
  },
  300_000,
);
