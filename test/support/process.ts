import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { killProcessGroup, TEST_RUN_MARKER } from './process-tree.js';
import { SERVER_START_MS, SERVER_STOP_MS } from './timing.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

export interface SpawnedServer {
  child: ChildProcess;
  output(): string;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  /** SIGKILLs the server and everything it started (its process group). */
  kill(): void;
}

export interface ServerProcess extends SpawnedServer {
  url: string;
  /** Sends a signal to the server and resolves with its exit code; SIGKILLs the group if it has not exited in time. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Where spawned servers register their kill function. The test set-up file
 * (test/support/setup-file.ts) makes it kill them when the test ends, or
 * when the file ends for servers started in beforeAll; outside vitest
 * (benchmarks) nothing is registered and the caller stops them.
 */
let registerCleanup: ((kill: () => void) => void) | undefined;
export function onServerSpawned(register: ((kill: () => void) => void) | undefined): void {
  registerCleanup = register;
}

/**
 * V8 flags of spawned servers. `--liftoff-only`: WebAssembly (PGlite's
 * PostgreSQL, Prisma's query compiler) runs on V8's baseline compiler only.
 * V8 otherwise recompiles the functions that get hot during start-up with its
 * optimising compiler, ~0.5 s of CPU per start (1.8 -> 1.35 s measured) that
 * a server living for a few seconds of test never earns back. It changes how
 * fast the WASM code runs, not what it does. Only for test servers:
 * benchmarks run servers the way production does (where the store itself
 * chooses, see src/db/pglite-options.ts).
 */
const TEST_SERVER_NODE_FLAGS: readonly string[] = ['--liftoff-only'];

/**
 * A compiled build of src/ (a directory laid out like dist/) for spawned
 * servers to run, and the node flags to run it with: the test set-up file
 * sets this run's build with the test flags; benchmarks set dist/ with none,
 * as `npm start` runs it. Without a build, servers run the sources through tsx.
 */
let serverBuild: string | undefined;
let serverNodeFlags: readonly string[] = [];
export function runServersFrom(build: string | undefined, nodeFlags: readonly string[] = TEST_SERVER_NODE_FLAGS): void {
  serverBuild = build;
  serverNodeFlags = nodeFlags;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/**
 * Starts the server (`src/main.ts`, compiled) as its own process, the way
 * `npm start` does: in a process group of its own (so that killing the group
 * also ends the migration child), marked with the test run's id (so that the global
 * teardown finds it if everything else failed).
 */
export function spawnServer(env: Record<string, string>): SpawnedServer {
  const entry = serverBuild ? ['--enable-source-maps', path.join(serverBuild, 'main.js')] : ['--import', 'tsx', path.join(ROOT, 'src/main.ts')];
  const child = spawn(process.execPath, [...(serverBuild ? serverNodeFlags : []), ...entry], {
    cwd: ROOT,
    env: {
      ...process.env,
      STORE_LOG_LEVEL: 'info',
      STORE_SCRYPT_COST: '1024',
      [TEST_RUN_MARKER]: process.env[TEST_RUN_MARKER] ?? 'outside-vitest',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const kill = () => killProcessGroup(child.pid);
  // Whatever became of the server, nothing it started may outlive it.
  void exited.then(kill);
  registerCleanup?.(kill);
  return { child, output: () => output, exited, kill };
}

/** Starts a server and waits (up to `startMs`) until /health answers; kills it if it does not. */
export async function startServer(env: Record<string, string>, options: { startMs?: number } = {}): Promise<ServerProcess> {
  const port = await freePort();
  const started = spawnServer({ HOST: '127.0.0.1', PORT: String(port), ...env });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (options.startMs ?? SERVER_START_MS);
  try {
    for (;;) {
      if (started.child.exitCode !== null) throw new Error(`server exited early:\n${started.output()}`);
      try {
        const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(5000) });
        if (response.ok) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`server did not answer /health in ${options.startMs ?? SERVER_START_MS} ms:\n${started.output()}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } catch (error) {
    started.kill();
    await started.exited;
    throw error;
  }
  return {
    ...started,
    url,
    stop: async (signal = 'SIGTERM') => {
      if (started.child.exitCode === null && started.child.signalCode === null) started.child.kill(signal);
      const timer = setTimeout(started.kill, SERVER_STOP_MS);
      try {
        return await started.exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/**
 * One GraphQL request to a spawned server: JSON, or a multipart request when
 * `files` maps variable paths (e.g. `input.archive`) to their content. Every
 * request carries the CSRF header non-browser clients send (multipart needs it).
 */
export async function serverGraphql(server: ServerProcess, token: string | undefined, query: string, variables: Record<string, unknown>, files?: Record<string, Blob>) {
  const headers: Record<string, string> = { 'x-graphql-yoga-csrf': '1', ...(token ? { authorization: `Bearer ${token}` } : {}) };
  let body: BodyInit;
  if (files) {
    const form = new FormData();
    const names = Object.keys(files);
    form.set('operations', JSON.stringify({ query, variables }));
    form.set('map', JSON.stringify(Object.fromEntries(names.map((name, index) => [String(index), [`variables.${name}`]]))));
    names.forEach((name, index) => form.set(String(index), files[name]!, 'file'));
    body = form;
  } else {
    headers['content-type'] = 'application/json';
    body = JSON.stringify({ query, variables });
  }
  const response = await fetch(`${server.url}/graphql`, { method: 'POST', headers, body });
  return (await response.json()) as { data?: Record<string, any> | null; errors?: unknown[] };
}
