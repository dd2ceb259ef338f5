import fs from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseKind, withMigratedDatabase } from '../support/database.js';
import { serverGraphql, startServer } from '../support/process.js';
import { startS3Server, type TestS3Server } from '../support/s3.js';
import { timeLimitFor } from '../support/timing.js';

/**
 * POST /uploads streams to an S3 bucket: a server process's resident memory
 * grows by far less than the body it stores. A memory bound, not
 * a time limit: the body is 160 MiB, and a server that held it (or a
 * backend that buffered it) would grow by at least that. Growth measured on
 * 192 MiB: 57 MiB (file), 76 MiB (S3), mostly buffers not yet garbage
 * collected; on 128 and 256 MiB, 34-40 and 50 MiB (S3): it does not grow with
 * the body. The limit, 5/8 of the body as it was at 256 MiB, leaves room for
 * a loaded machine's late collections; 256 MiB cost ~3 s more of CPU (the
 * store and s3rver hash every byte) and proved no more.
 * Linux only (reads /proc); once per run, on the embedded database.
 */
const MIB = 1024 * 1024;
const BODY_MIB = 160;
const GROWTH_LIMIT_MIB = 100;
const ADMIN = { STORE_ADMIN_USERNAME: 'root', STORE_ADMIN_PASSWORD: 'correct-horse-battery' };
const LOGIN = 'mutation { login(input: {username: "root", password: "correct-horse-battery"}) { ... on LoginSuccess { token } } }';
const linux = process.platform === 'linux';

let s3: TestS3Server;
const dirs: string[] = [];
beforeAll(async () => {
  if (linux && testDatabaseKind() === 'pglite') s3 = await startS3Server();
});
afterAll(async () => {
  await s3?.close();
  for (const dir of dirs) await fs.rm(dir, { recursive: true, force: true });
});

async function residentMib(pid: number, field: 'VmRSS' | 'VmHWM'): Promise<number> {
  const status = await fs.readFile(`/proc/${pid}/status`, 'utf8');
  return Number(new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status)![1]) / 1024;
}

/** BODY_MIB of varying bytes, produced as the request pulls them. */
function body(): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (sent === BODY_MIB) return void this.push(null);
      const chunk = Buffer.alloc(MIB, sent % 251);
      chunk.writeUInt32LE(sent, 0);
      sent += 1;
      this.push(chunk);
    },
  });
}

function post(url: string, token: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-length': BODY_MIB * MIB } }, (response) => {
      let text = '';
      response.on('data', (data: Buffer) => (text += data.toString()));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
    });
    request.on('error', reject);
    body().pipe(request);
  });
}

describe.skipIf(!linux || testDatabaseKind() !== 'pglite')('memory of a streamed upload', () => {
  // The filesystem store's bound is test/push/upload-memory.test.ts's.
  for (const backend of ['s3'] as const) {
    it(`${backend}: POST /uploads of ${BODY_MIB} MiB grows the server by less than ${GROWTH_LIMIT_MIB} MiB`, async () => {
      const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'charmstore-upload-memory-'));
      dirs.push(dataDir);
      // A copy of the migrated database: no initdb and no migration child (~6 s of CPU) before the upload.
      await withMigratedDatabase(dataDir);
      const server = await startServer({ ...ADMIN, ...(backend === 's3' ? s3.env(`memory-${path.basename(dataDir)}/`) : {}), STORE_DATA_DIR: dataDir, STORE_LOG_LEVEL: 'warn' });
      try {
        const token = (await serverGraphql(server, undefined, LOGIN, {})).data?.login.token as string;
        const pid = server.child.pid!;
        const idle = await residentMib(pid, 'VmRSS');
        // The peak from now on (Linux >= 4.0); if the kernel refuses, sample the current RSS while uploading.
        const peakReset = await fs.writeFile(`/proc/${pid}/clear_refs`, '5').then(() => true, () => false);
        let sampledPeak = idle;
        let uploading = true;
        const sampler = (async () => {
          while (uploading && !peakReset) {
            sampledPeak = Math.max(sampledPeak, await residentMib(pid, 'VmRSS'));
            await new Promise((resolve) => setTimeout(resolve, 10));
          }
        })();
        const response = await post(`${server.url}/uploads`, token);
        uploading = false;
        await sampler;
        expect(response.status, response.text).toBe(201);
        expect(JSON.parse(response.text)).toMatchObject({ size: BODY_MIB * MIB });
        const peak = peakReset ? await residentMib(pid, 'VmHWM') : sampledPeak;
        expect(peak - idle).toBeLessThan(GROWTH_LIMIT_MIB);
      } finally {
        await server.stop();
      }
    }, timeLimitFor(3));
  }
});
