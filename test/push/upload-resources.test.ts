import fs from 'node:fs/promises';
import { readFileSync, readdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listen } from '../../src/http/server.js';
import { createUserAndLogin, loginAdmin } from '../support/accounts.js';
import { createTestStore, type TestStore } from '../support/store.js';

let store: TestStore;
let kirk: string;
const MIB = 1024 * 1024;

beforeAll(async () => {
  store = await createTestStore({ realClock: true, limits: { maxUploadBytes: 64 * MIB } });
  kirk = await createUserAndLogin(store, await loginAdmin(store), 'kirk');
});
afterAll(() => store.close());

const threads = () => readdirSync('/proc/self/task').length;
const vmSizeMib = () => Number(/VmSize:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))![1]) / 1024;

async function until(condition: () => Promise<boolean> | boolean, ms = 15_000): Promise<boolean> {
  for (const started = Date.now(); Date.now() - started < ms; await new Promise((r) => setTimeout(r, 50))) if (await condition()) return true;
  return condition();
}

describe('POST /uploads resources', () => {
  it('a client that disconnects mid-upload over node:http leaves no staging file and no hashing thread', async () => {
    const server = await listen(store.app, '127.0.0.1', 0, pino({ level: 'silent' }));
    const staging = path.join(store.blobDir, '.staging');
    const before = threads();
    try {
      const { port } = new URL(server.url);
      const socket = net.connect(Number(port), '127.0.0.1');
      await new Promise((resolve) => socket.once('connect', resolve));
      socket.write(`POST /uploads HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${kirk}\r\ntransfer-encoding: chunked\r\n\r\n`);
      const chunk = Buffer.alloc(64 * 1024, 1);
      for (let i = 0; i < 48; i++) socket.write(`${chunk.length.toString(16)}\r\n${chunk.toString('latin1')}\r\n`, 'latin1');
      // 3 MiB sent: past the first batch, so the hashing thread runs; then the client goes away.
      expect(await until(async () => (await fs.readdir(staging)).length === 1 && threads() > before)).toBe(true);
      socket.destroy();
      expect(await until(async () => (await fs.readdir(staging)).length === 0)).toBe(true);
      expect(await until(() => threads() <= before)).toBe(true);
      expect((await fetch(`${server.url}/health`)).status).toBe(200);
    } finally {
      await server.close(1000);
    }
  });

  it('sequential streamed uploads do not each keep ~10 GiB of address space (and 4 MiB resident) until a full GC', async () => {
    const start = vmSizeMib();
    for (let i = 0; i < 20; i++) {
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          for (let c = 0; c < 80; c++) controller.enqueue(new Uint8Array(64 * 1024).fill(i));
          controller.close();
        },
      });
      const response = await store.request('/uploads', { method: 'POST', token: kirk, body, duplex: 'half' } as RequestInit & { token: string });
      expect(response.status).toBe(201);
    }
    // 20 uploads of 5 MiB: a bounded store grows by a few MiB at most; one 10 GiB reservation per upload is 200 GiB.
    expect(vmSizeMib() - start).toBeLessThan(50 * 1024);
  });
});
