import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { testDatabaseKind, testDatabaseUrl, withMigratedDatabase } from './support/database.js';
import { freePort, spawnServer, startServer } from './support/process.js';
import { killProcessGroup, processesWithMarker, TEST_RUN_MARKER } from './support/process-tree.js';
import { scaled, SERVER_START_MS, timeLimitFor } from './support/timing.js';

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

/**
 * Starts a request the server can never finish (the body stops halfway), to
 * hold a shutdown in its drain phase; resolves once the server has the headers.
 */
async function hangingRequest(url: string): Promise<void> {
  const request = http.request(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': '1000' } });
  // The server closes the connection when it gives up on us.
  request.on('error', () => undefined);
  request.write('{"query": "');
  await new Promise((resolve) => setTimeout(resolve, 200));
}

/**
 * Starts a sign-in whose body the test holds back halfway, so that it is in
 * flight for as long as the test wants; `finish` sends the rest and resolves
 * with the answer. It resolves once the server has the request (its
 * `100 Continue`), so no timing guess decides whether it is in flight.
 */
async function heldBackLogin(url: string, username: string, password: string): Promise<{ finish(): Promise<{ status: number; body: any }> }> {
  const body = Buffer.from(JSON.stringify({ query: LOGIN, variables: { u: username, p: password } }));
  const request = http.request(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'content-length': String(body.length), expect: '100-continue' },
  });
  const answered = new Promise<{ status: number; body: any }>((resolve, reject) => {
    request.on('response', (response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => (text += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode!, body: JSON.parse(text) }));
    });
    request.on('error', reject);
  });
  const received = new Promise((resolve) => request.once('continue', resolve));
  request.flushHeaders();
  await received;
  request.write(body.subarray(0, body.length >> 1));
  return {
    finish: () => {
      request.end(body.subarray(body.length >> 1));
      return answered;
    },
  };
}

/**
 * The database settings of the current test project, for a real process: a
 * fresh data dir (empty, or holding a copy of the migrated database to save
 * the server initdb), or a fresh schema.
 */
async function databaseEnv(options: { empty?: boolean } = {}): Promise<Record<string, string>> {
  if (testDatabaseKind() === 'pglite') return { STORE_DATA_DIR: options.empty ? await tempDir() : await withMigratedDatabase(await tempDir()) };
  const url = new URL(testDatabaseUrl());
  url.searchParams.set('schema', `proc_${randomBytes(6).toString('hex')}`);
  return { DATABASE_URL: url.toString(), STORE_DATA_DIR: await tempDir() };
}

describe('the server process', () => {
  // Starting on an empty data dir (initdb and every migration, in the compiled
  // child) is the `npm start` test's; this one starts on a copy of the migrated database.
  // Two servers take every check of a running server: the first the in-flight
  // request and the shutdown deadline (one SIGTERM, with a request that finishes
  // and one that never does), the restarted one GraphiQL, the refusal of a second
  // server and the second signal. A server start of their own cost ~1.2 s of CPU
  // each and proved no more.
  it('starts, bootstraps the admin, lets an in-flight request finish when told to stop, stops by its shutdown deadline if a request hangs, keeps data across a restart, serves GraphiQL, refuses a second server on the same data dir or port with one line, and exits at once on a second signal', async () => {
    const env: Record<string, string> = { ...(await databaseEnv()), ...ADMIN_ENV };
    // Long enough for the held-back sign-in to finish on a loaded machine; the hanging request holds the shutdown this long.
    const first = await startServer({ ...env, STORE_SHUTDOWN_TIMEOUT_MS: String(scaled(5000)) });
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

      // A request still arriving when SIGTERM does is answered before the server exits;
      // a request that never finishes does not keep the server from stopping.
      const inFlight = await heldBackLogin(first.url, 'root', 'correct-horse-battery');
      await hangingRequest(first.url);
      const exitCode = first.stop('SIGTERM');
      for (let waited = 0; !first.output().includes('shutting down') && waited < SERVER_START_MS; waited += 50) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const response = await inFlight.finish();
      expect(response.status).toBe(200);
      expect(response.body.data?.login.__typename).toBe('LoginSuccess');
      expect(await exitCode).toBe(0);
    } finally {
      expect(await first.stop('SIGTERM')).toBe(0);
    }
    expect(first.output()).toContain('shutting down');
    expect(first.output()).toContain('in-flight requests did not finish in time');
    expect(first.output()).toContain('"msg":"stopped"');

    if (testDatabaseKind() === 'pglite') {
      // The lock went with the server; a lock left by a process that is gone (a crash) does not stop the next one.
      const lock = path.join(env.STORE_DATA_DIR!, 'store.lock');
      await expect(fs.access(lock)).rejects.toThrow();
      await fs.writeFile(lock, `${await deadPid()}\n`);
    }
    const second = await startServer({ ...env, STORE_SHUTDOWN_TIMEOUT_MS: String(10 * SERVER_START_MS) });
    try {
      const login = await graphql(second.url, LOGIN, { u: 'persisted-user', p: 'long-enough' });
      expect(login.body.data?.login.__typename).toBe('LoginSuccess');

      // GraphiQL for browsers, loading nothing from another host.
      const response = await fetch(`${second.url}/graphql`, { headers: { accept: 'text/html' } });
      expect(response.status).toBe(200);
      const html = await response.text();
      expect(html).toContain('<title>Charm store</title>');
      expect(html).not.toMatch(/<script[^>]+src=["']https?:/);
      expect(html).not.toMatch(/<link[^>]+href=["']https?:/);
      expect(html).not.toContain('unpkg.com');

      // A second server on the same data dir (its lock) or port is refused, with one line.
      const port = new URL(second.url).port;
      if (testDatabaseKind() === 'pglite') {
        const sameDir = spawnServer({ ...env, PORT: String(await freePort()) });
        expect(await sameDir.exited).toBe(1);
        expect(sameDir.output()).toBe(
          `Another charm store (pid ${second.child.pid}) is using the data directory ${env.STORE_DATA_DIR}: stop it first, or give this one another STORE_DATA_DIR ` +
            `(if pid ${second.child.pid} is not a charm store, delete ${path.join(env.STORE_DATA_DIR!, 'store.lock')})\n`,
        );
      }
      const samePort = spawnServer({ ...(await databaseEnv()), PORT: port });
      expect(await samePort.exited).toBe(1);
      expect(samePort.output()).toBe(`Port ${port} on 127.0.0.1 is already in use (another charm store?): stop that process or set PORT to a free port\n`);
      expect((await fetch(`${second.url}/health`)).status).toBe(200);

      // Draining would take ten server starts; a second signal cuts it short (SIGINT starts the shutdown as SIGTERM does).
      await hangingRequest(second.url);
      second.child.kill('SIGINT');
      for (let waited = 0; !second.output().includes('shutting down') && waited < SERVER_START_MS; waited += 50) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    } finally {
      expect(await second.stop('SIGTERM')).toBe(143);
    }
    expect(second.output()).toContain('"signal":"SIGINT"');
    expect(second.output()).toContain('second signal: exiting now');
  // Two server starts, two refused ones and the stops.
  }, timeLimitFor(4));

  // One `npm start` for both: a second cost ~1.5 s of CPU (npm and a server start) and proved no more.
  // The only test where the migration child creates a data directory (initdb): test/db/migrate-in-child.test.ts starts on one.
  it('`npm start` runs the compiled build: from an empty database it migrates (in a compiled child) and serves; it stops on SIGTERM (npm passes the signal to the server)', async () => {
    const root = path.resolve(import.meta.dirname, '..');
    // What `npm ci` does through `prepare` (scripts/build.mjs): this run's build of the current sources, made by the
    // same script at the run's start (global-setup.ts), copied over dist/ so the test never runs a stale one (copied
    // over, not removed first: the other database's project may be starting its own `npm start` meanwhile).
    await fs.cp(inject('serverBuild'), path.join(root, 'dist'), { recursive: true });
    const port = await freePort();
    const marker = `${process.env[TEST_RUN_MARKER]}/npm-start-${randomBytes(4).toString('hex')}`;
    const npm = spawn('npm', ['start', '--silent'], {
      cwd: root,
      env: { ...process.env, ...(await databaseEnv({ empty: true })), ...ADMIN_ENV, PORT: String(port), STORE_SCRYPT_COST: '1024', [TEST_RUN_MARKER]: marker },
      stdio: 'ignore',
      detached: true,
    });
    const exited = new Promise<number | null>((resolve) => npm.on('exit', (code) => resolve(code)));
    try {
      const deadline = Date.now() + 2 * SERVER_START_MS;
      for (;;) {
        const healthy = await fetch(`http://127.0.0.1:${port}/health`).then((r) => r.ok, () => false);
        if (healthy) break;
        if (Date.now() > deadline || npm.exitCode !== null) throw new Error('npm start did not start the server');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const login = await graphql(`http://127.0.0.1:${port}`, LOGIN, { u: ADMIN_ENV.STORE_ADMIN_USERNAME, p: ADMIN_ENV.STORE_ADMIN_PASSWORD });
      expect(login.body.data?.login.__typename).toBe('LoginSuccess');
      // Files the build copies rather than compiles (the web UI, read next to its module).
      const page = await fetch(`http://127.0.0.1:${port}/ui/live.js`);
      expect(page.status).toBe(200);
      expect((await page.text()).length).toBeGreaterThan(0);
      // The server is node running dist/main.js, with no TypeScript loader.
      const commandLines = await Promise.all((await processesWithMarker(marker)).map((pid) => fs.readFile(`/proc/${pid}/cmdline`, 'utf8').then((text) => text.split('\0'), () => [])));
      const server = commandLines.find((words) => words[0] === process.execPath || words[0] === 'node');
      expect(server).toContain('dist/main.js');
      expect(server!.join(' ')).not.toContain('tsx');

      npm.kill('SIGTERM');
      expect(await exited).toBe(0);
      // Nothing npm started is left: the server stopped rather than being orphaned.
      for (let waited = 0; (await processesWithMarker(marker)).length > 0 && waited < SERVER_START_MS; waited += 100) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(await processesWithMarker(marker)).toEqual([]);
    } finally {
      killProcessGroup(npm.pid);
    }
  }, timeLimitFor(3));

  it('refuses to start with a bad setting, naming the variable', async () => {
    const dataDir = path.join(await tempDir(), 'never-created');
    const started = spawnServer({ PORT: 'eighty', STORE_DATA_DIR: dataDir });
    expect(await started.exited).toBe(2);
    // Checked before anything else: the data directory was not even created.
    await expect(fs.access(dataDir)).rejects.toThrow();
    expect(started.output()).toBe('Invalid configuration:\n  PORT="eighty": expected a whole number from 0 to 65535 (0 picks a free port)\n');
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
    // Refused before anything touched it.
    expect(await fs.readFile(blocker, 'utf8')).toBe('x');
  });
});

/** The pid of a process that has exited (and been reaped). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => child.on('exit', resolve));
  return child.pid!;
}
