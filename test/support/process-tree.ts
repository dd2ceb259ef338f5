// Killing spawned servers with everything they started. Servers are spawned
// detached (their own process group) so that one signal to the group reaches
// the migration child and anything else below them, and they carry a marker
// in their environment so that the global teardown finds survivors even
// after their parent died (a timed-out test, a crashed worker).

import fs from 'node:fs/promises';

/** The environment variable naming the test run a spawned process belongs to. */
export const TEST_RUN_MARKER = 'CHARMSTORE_TEST_RUN';

/** SIGKILLs the process group led by `pid` (a detached child); quiet if it is gone. */
export function killProcessGroup(pid: number | undefined, signal: NodeJS.Signals = 'SIGKILL'): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

/**
 * The pids of live processes whose TEST_RUN_MARKER is `marker` or starts
 * with `marker/` (a test's own sub-marker). Linux: read from /proc;
 * elsewhere nothing is found.
 */
export async function processesWithMarker(marker: string): Promise<number[]> {
  let entries: string[];
  try {
    entries = await fs.readdir('/proc');
  } catch {
    return [];
  }
  const exact = `\0${TEST_RUN_MARKER}=${marker}\0`;
  const below = `\0${TEST_RUN_MARKER}=${marker}/`;
  const found: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const environ = await fs.readFile(`/proc/${entry}/environ`, 'latin1');
      const variables = `\0${environ}\0`;
      if (variables.includes(exact) || variables.includes(below)) found.push(Number(entry));
    } catch {
      // Exited meanwhile, or not ours to read.
    }
  }
  return found;
}

/** SIGKILLs every process carrying `marker`; returns their pids. */
export async function killMarkedProcesses(marker: string): Promise<number[]> {
  const pids = await processesWithMarker(marker);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone.
    }
  }
  return pids;
}
