import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { testDatabaseKind, testDatabaseUrl } from './support/database.js';
import { spawnServer, startServer } from './support/process.js';

const tempDirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'charmstore-'));
  tempDirs.push(dir);
  return dir;
}
afterAll(async () => {
  await Promise.all(tempDirs.map((dir) => fs.rm(dir, { recursive: true, force: true })));
});

async function graphql(url: string, query: string, variables: Record<string, unknown> = {}, token?: string) {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, body: (await response.json()) as { data?: Record<string, any>; errors?: unknown[] } };
}

const LOGIN = 'mutation($u: String!, $p: String!) { login(input: {username: $u, password: $p}) { __typename ... on LoginSuccess { token } } }';
const ADMIN_ENV = { STORE_ADMIN_USERNAME: 'root', STORE_ADMIN_PASSWORD: 'correct-horse-battery' };

/** The database settings of the current test project, for a real process: a fresh data dir, or a fresh schema. */
async function databaseEnv(): Promise<Record<string, string>> {
  if (testDatabaseKind() === 'pglite') return { STORE_DATA_DIR: await tempDir() };
  const url = new URL(testDatabaseUrl());
  url.searchParams.set('schema', `proc_${randomBytes(6).toString('hex')}`);
  return { DATABASE_URL: url.toString(), STORE_DATA_DIR: await tempDir() };
}

describe('the server process', () => {
  it('starts on an empty data dir, bootstraps the admin, keeps data across a restart and stops gracefully', async () => {
    const env = { ...(await databaseEnv()), ...ADMIN_ENV };
    const first = await startServer(env);
    try {
      expect((await fetch(`${first.url}/health`)).status).toBe(200);
      const readiness = await fetch(`${first.url}/readiness`);
      expect(readiness.status).toBe(200);
      expect(await readiness.json()).toEqual({ status: 'ready' });

      const login = await graphql(first.url, LOGIN, { u: 'root', p: 'correct-horse-battery' });
      expect(login.body.data?.login.__typename).toBe('LoginSuccess');
      const token = login.body.data?.login.token as string;
      const created = await graphql(
        first.url,
        'mutation { createUser(input: {username: "persisted-user", password: "long-enough"}) { __typename } }',
        {},
        token,
      );
      expect(created.body.data?.createUser.__typename).toBe('CreateUserSuccess');
    } finally {
      expect(await first.stop('SIGTERM')).toBe(0);
    }
    expect(first.output()).toContain('shutting down');

    const second = await startServer(env);
    try {
      const login = await graphql(second.url, LOGIN, { u: 'persisted-user', p: 'long-enough' });
      expect(login.body.data?.login.__typename).toBe('LoginSuccess');
    } finally {
      expect(await second.stop('SIGINT')).toBe(0);
    }
  });

  it('lets an in-flight request finish when told to stop', async () => {
    const server = await startServer({ ...(await databaseEnv()), ...ADMIN_ENV, STORE_SCRYPT_COST: String(2 ** 16) });
    // A login with a costly KDF is still running when SIGTERM arrives.
    const inFlight = graphql(server.url, LOGIN, { u: 'root', p: 'correct-horse-battery' });
    await new Promise((resolve) => setTimeout(resolve, 30));
    const exitCode = server.stop('SIGTERM');
    const response = await inFlight;
    expect(response.status).toBe(200);
    expect(response.body.data?.login.__typename).toBe('LoginSuccess');
    expect(await exitCode).toBe(0);
  });

  it('serves GraphiQL to browsers without loading anything from another host', async () => {
    const server = await startServer(await databaseEnv());
    try {
      const response = await fetch(`${server.url}/graphql`, { headers: { accept: 'text/html' } });
      expect(response.status).toBe(200);
      const html = await response.text();
      expect(html).toContain('<title>Charm store</title>');
      expect(html).not.toMatch(/<script[^>]+src=["']https?:/);
      expect(html).not.toMatch(/<link[^>]+href=["']https?:/);
      expect(html).not.toContain('unpkg.com');
    } finally {
      await server.stop();
    }
  });

  it('refuses to start with a bad setting, naming the variable', async () => {
    const started = spawnServer({ PORT: 'eighty', STORE_DATA_DIR: await tempDir() });
    expect(await started.exited).toBe(2);
    expect(started.output()).toContain('PORT:');
  });

  it('fails fast when DATABASE_URL cannot be reached', async () => {
    const started = spawnServer({ DATABASE_URL: 'postgresql://nobody@127.0.0.1:1/none', PORT: '0' });
    expect(await started.exited).toBe(1);
    expect(started.output()).toContain('Cannot connect to DATABASE_URL');
  });

  it('fails fast when the data dir is not writable', async () => {
    const dir = await tempDir();
    const blocker = path.join(dir, 'not-a-dir');
    await fs.writeFile(blocker, 'x');
    const started = spawnServer({ STORE_DATA_DIR: blocker, PORT: '0' });
    expect(await started.exited).toBe(1);
    expect(started.output()).toContain('is not a readable and writable directory');
  });
});
