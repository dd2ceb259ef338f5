// The WebSocket endpoint loads `ws` and `graphql-ws` with its first upgrade
// request (src/http/server.ts): what the eager set-up did must still hold.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { RunningServer } from '../../src/http/server.js';
import { serve } from '../support/live.js';
import { createTestStore, type TestStore } from '../support/store.js';

let store: TestStore;
let server: RunningServer;
beforeAll(async () => {
  store = await createTestStore({ realClock: true });
  server = await serve(store.app);
});
afterAll(async () => {
  await store?.close();
});

function connect(path: string): WebSocket {
  return new WebSocket(`${server.url.replace('http:', 'ws:')}${path}`, 'graphql-transport-ws');
}

describe('GraphQL over WebSocket', () => {
  it('refuses an upgrade on any path but /graphql with 400, even as the first upgrade request', async () => {
    const socket = connect('/elsewhere');
    const status = await new Promise<number | undefined>((resolve, reject) => {
      socket.on('unexpected-response', (_request, response) => resolve(response.statusCode));
      socket.on('open', () => reject(new Error('the upgrade was accepted')));
      socket.on('error', () => resolve(undefined));
    });
    expect(status).toBe(400);
  });

  it('acknowledges a connection on /graphql, and ends it with 1001 when the server shuts down', async () => {
    const socket = connect('/graphql');
    const messages: unknown[] = [];
    socket.on('message', (data: Buffer) => messages.push(JSON.parse(data.toString())));
    await new Promise((resolve, reject) => {
      socket.on('open', resolve);
      socket.on('error', reject);
    });
    socket.send(JSON.stringify({ type: 'connection_init' }));
    for (let waited = 0; messages.length === 0 && waited < 10_000; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(messages).toEqual([{ type: 'connection_ack' }]);
    const closed = new Promise<number>((resolve) => socket.on('close', (code: number) => resolve(code)));
    await server.close(1000);
    expect(await closed).toBe(1001);
  });
});
