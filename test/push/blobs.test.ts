import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listen } from '../../src/http/server.js';
import { collectGarbage } from '../../src/services/blobs/collect-garbage.js';
import { createUserAndLogin, loginAdmin } from '../support/accounts.js';
import { listFiles, pushOk, storeState, upload } from '../support/push.js';
import { createTestStore, type TestStore } from '../support/store.js';
import { charmZip } from '../support/zip.js';

let store: TestStore;
let kirk: string;

beforeAll(async () => {
  store = await createTestStore({ realClock: true, limits: { maxUploadBytes: 1024 * 1024 } });
  kirk = await createUserAndLogin(store, await loginAdmin(store), 'kirk');
});
afterAll(() => store.close());

/** A body that arrives in chunks, without a Content-Length: the server cannot know its size up front. */
function chunkedBody(chunks: number, chunkSize: number): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      if (sent === chunks) return controller.close();
      controller.enqueue(new Uint8Array(chunkSize).fill(sent % 256));
      sent += 1;
    },
  });
}

describe('POST /uploads', () => {
  it('stores a streamed body under its SHA-384 and answers its id, digest and size', async () => {
    const response = await store.request('/uploads', { method: 'POST', token: kirk, body: chunkedBody(8, 64 * 1024) });
    expect(response.status).toBe(201);
    const receipt = (await response.json()) as { uploadId: string; sha384: string; size: number; expiresAt: string };
    const expected = Buffer.concat(Array.from({ length: 8 }, (_, i) => Buffer.alloc(64 * 1024, i)));
    expect(receipt).toMatchObject({ sha384: createHash('sha384').update(expected).digest('hex'), size: expected.length });
    expect(receipt.uploadId).toMatch(/^upl_[A-Za-z0-9_-]{24}$/);
    const stored = await fs.readFile(path.join(store.blobDir, receipt.sha384.slice(0, 2), receipt.sha384));
    expect(stored.equals(expected)).toBe(true);
    const row = await store.database.db.prisma.upload.findUniqueOrThrow({ where: { id: receipt.uploadId } });
    expect(row).toMatchObject({ sha384: receipt.sha384, sha256: createHash('sha256').update(expected).digest('hex'), size: BigInt(expected.length), usedAt: null });
  });

  it('needs a signed-in user and POST', async () => {
    const anonymous = await store.request('/uploads', { method: 'POST', body: 'x' });
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toEqual({ error: 'Sign in first: uploads need a bearer token from the login mutation' });
    const get = await store.request('/uploads', { token: kirk });
    expect(get.status).toBe(405);
  });

  it('answers 413 past the size limit, from Content-Length or while streaming, and keeps nothing', async () => {
    const message = { error: 'The upload is larger than the limit of 1048576 bytes (STORE_MAX_UPLOAD_BYTES)' };
    const before = await storeState(store);
    const declared = await store.request('/uploads', { method: 'POST', token: kirk, body: new Uint8Array(1024 * 1024 + 1) });
    expect(declared.status).toBe(413);
    expect(await declared.json()).toEqual(message);
    const streamed = await store.request('/uploads', { method: 'POST', token: kirk, body: chunkedBody(20, 64 * 1024) });
    expect(streamed.status).toBe(413);
    expect(await streamed.json()).toEqual(message);
    expect(await storeState(store)).toEqual(before);
  });
});

describe('POST /uploads over node:http (the body read from Node\'s request)', () => {
  /** POSTs `chunks` to /uploads one by one without a Content-Length, on `agent`'s connections. */
  function post(url: string, agent: http.Agent, chunks: Buffer[]): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const request = http.request(`${url}/uploads`, { method: 'POST', agent, headers: { authorization: `Bearer ${kirk}` } }, (response) => {
        let body = '';
        response.on('data', (data: Buffer) => (body += data.toString()));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      });
      // The server may answer (413) and stop reading before the last chunk: whatever it did not read is its to discard.
      request.on('error', reject);
      for (const chunk of chunks) request.write(chunk);
      request.end();
    });
  }

  it('stores the exact bytes, answers 413 past the limit while streaming and keeps nothing, and the server goes on answering', async () => {
    const server = await listen(store.app, '127.0.0.1', 0, pino({ level: 'silent' }));
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const content = Buffer.from(new Uint8Array(1024 * 1024 - 12_345).map((_, i) => (i * 7) % 251).buffer);
      const chunks = [1, 65_536, 100_000, 300_001].reduce<Buffer[]>((parts, size) => [...parts, content.subarray(parts.reduce((sum, part) => sum + part.length, 0)).subarray(0, size)], []);
      chunks.push(content.subarray(chunks.reduce((sum, part) => sum + part.length, 0)));
      const stored = await post(server.url, agent, chunks);
      expect(stored.status).toBe(201);
      const receipt = JSON.parse(stored.body) as { sha384: string; size: number };
      expect(receipt).toMatchObject({ sha384: createHash('sha384').update(content).digest('hex'), size: content.length });
      expect((await fs.readFile(path.join(store.blobDir, receipt.sha384.slice(0, 2), receipt.sha384))).equals(content)).toBe(true);

      const before = await storeState(store);
      const tooLarge = await post(server.url, agent, Array.from({ length: 20 }, (_, i) => Buffer.alloc(64 * 1024, i)));
      expect(tooLarge.status).toBe(413);
      expect(JSON.parse(tooLarge.body)).toEqual({ error: 'The upload is larger than the limit of 1048576 bytes (STORE_MAX_UPLOAD_BYTES)' });
      expect(await storeState(store)).toEqual(before);
      // The rest of the refused body was discarded, not left in the way of the next request.
      const next = await post(server.url, agent, [Buffer.from('after a refused upload')]);
      expect(next.status).toBe(201);
    } finally {
      agent.destroy();
      await server.close(1000);
    }
  });
});

describe('blob garbage collection', () => {
  it('removes only old blobs that nothing references, and staging leftovers', async () => {
    const pushed = await pushOk(store, kirk, charmZip({ name: 'kept' }));
    const live = await upload(store, kirk, Buffer.from('a live upload'));
    const orphan = createHash('sha384').update('orphan').digest('hex');
    const young = createHash('sha384').update('young orphan').digest('hex');
    for (const digest of [orphan, young]) {
      await fs.mkdir(path.join(store.blobDir, digest.slice(0, 2)), { recursive: true });
      await fs.writeFile(path.join(store.blobDir, digest.slice(0, 2), digest), 'x');
    }
    await fs.writeFile(path.join(store.blobDir, '.staging', 'crashed-write'), 'partial');
    const old = new Date(Date.now() - 2 * 3600 * 1000);
    for (const file of await listFiles(store.blobDir)) {
      if (!file.includes(young)) await fs.utimes(path.join(store.blobDir, file), old, old);
    }

    const report = await collectGarbage(store.database.db, store.blobs, { now: new Date(), graceMs: 3600 * 1000 });
    expect(report).toMatchObject({ removed: 1, staging: 1 });
    const files = await listFiles(store.blobDir);
    expect(files.some((file) => file.endsWith(orphan))).toBe(false);
    expect(files.some((file) => file.endsWith(young))).toBe(true);
    expect(files.some((file) => file.endsWith(pushed.revision.sha384))).toBe(true);
    expect(files.some((file) => file.endsWith(live.sha384))).toBe(true);
    expect(files.some((file) => file.includes('.staging'))).toBe(false);
  });
});
