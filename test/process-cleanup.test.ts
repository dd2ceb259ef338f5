// No process a test spawns may outlive it: servers run in a process group of
// their own with the test run's marker in their environment, are killed with
// the whole group when their test ends (passed, failed or timed out) or when
// starting them takes too long, and the global teardown kills any survivor.

import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withMigratedDatabase } from './support/database.js';
import { spawnServer, startServer } from './support/process.js';
import { processesWithMarker, TEST_RUN_MARKER } from './support/process-tree.js';
import { timeLimitFor } from './support/timing.js';

const tempDirs: string[] = [];
afterAll(() => Promise.all(tempDirs.map((dir) => fs.rm(dir, { recursive: true, force: true }))));

/** A marker of this test's own, below the run's, so that other files' servers do not count. */
function ownMarker(): string {
  return `${process.env[TEST_RUN_MARKER]}/cleanup-${randomBytes(4).toString('hex')}`;
}

async function emptyDataDir(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'charmstore-cleanup-'));
  tempDirs.push(dir);
  return dir;
}

async function until(condition: () => Promise<boolean>, what: string): Promise<void> {
  for (let waited = 0; !(await condition()); waited += 50) {
    if (waited > timeLimitFor(0)) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe.runIf(process.env.TEST_DB !== 'postgres')('spawned servers', () => {
  it('run with the test run marker', () => {
    expect(process.env[TEST_RUN_MARKER]).toMatch(/^\d+-[0-9a-f]{8}$/);
  });

  it('are killed with their children when starting them takes too long', async () => {
    const marker = ownMarker();
    // Long enough to be migrating the new data directory in a child process, far too short to answer /health.
    const failure = await startServer({ STORE_DATA_DIR: await emptyDataDir(), [TEST_RUN_MARKER]: marker }, { startMs: 1 }).catch((error: unknown) => error);
    expect(String(failure)).toContain('did not answer /health in 1 ms');
    expect(await processesWithMarker(marker)).toEqual([]);
  }, timeLimitFor(1));

  it('take the migration child with them when killed mid start-up', async () => {
    const marker = ownMarker();
    const server = spawnServer({ STORE_DATA_DIR: await emptyDataDir(), PORT: '0', [TEST_RUN_MARKER]: marker });
    // The server and its migration child (which inherits the marker).
    await until(async () => (await processesWithMarker(marker)).length >= 2, 'the migration child');
    server.kill();
    await server.exited;
    await until(async () => (await processesWithMarker(marker)).length === 0, 'the process group to die');
    expect(await processesWithMarker(marker)).toEqual([]);
  }, timeLimitFor(1));

  // Left while still starting: the kill is registered when a server is
  // spawned (startServer spawns through spawnServer) and kills its process
  // group whatever the server is doing; waiting for /health first cost a
  // whole server start (~1.2 s of CPU) and proved no more.
  let leftRunning: number | undefined;
  it('may be left running by a test (the next test checks that it died)', async () => {
    const server = spawnServer({ STORE_DATA_DIR: await withMigratedDatabase(await emptyDataDir()), PORT: '0' });
    leftRunning = server.child.pid;
    expect(isAlive(leftRunning!)).toBe(true);
    expect(server.child.exitCode).toBeNull();
  }, timeLimitFor(1));

  it('die when the test that started them ends', async () => {
    expect(leftRunning).toBeDefined();
    await until(async () => !isAlive(leftRunning!), `pid ${leftRunning} to exit`);
    expect(isAlive(leftRunning!)).toBe(false);
  });

  // A test that times out is abandoned mid-await, so nothing after its await
  // runs: only the kill registered when the server was spawned can stop it.
  let timedOutMarker: string | undefined;
  let timedOutPid: number | undefined;
  let timedOutDataDir: string;
  beforeAll(async () => {
    // Prepared here: the test below has half a second before it times out.
    timedOutDataDir = await withMigratedDatabase(await emptyDataDir());
  });
  it.fails('may be abandoned by a test that times out (expected to fail: it times out)', async () => {
    timedOutMarker = ownMarker();
    const server = spawnServer({ STORE_DATA_DIR: timedOutDataDir, PORT: '0', [TEST_RUN_MARKER]: timedOutMarker });
    timedOutPid = server.child.pid;
    await new Promise(() => undefined);
  }, 500);

  it('die when the test that started them timed out', async () => {
    expect(timedOutPid).toBeDefined();
    await until(async () => !isAlive(timedOutPid!) && (await processesWithMarker(timedOutMarker!)).length === 0, `pid ${timedOutPid} (and anything it started) to exit`);
    expect(await processesWithMarker(timedOutMarker!)).toEqual([]);
  });
});
