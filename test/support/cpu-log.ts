// Runs before every test file (vitest setupFiles) of every project. With
// TEST_CPU_LOG=<file> set (`npm run test:timing` sets it), appends one JSON
// line per test file: the CPU seconds its worker spent on it, counting the
// processes it spawned and waited for, and its wall time. test-timing.mjs
// prints the costliest files from it.
import { readFileSync, appendFileSync } from 'node:fs';
import { afterAll, expect } from 'vitest';

const CLOCK_TICKS_PER_SECOND = 100;

function cpuSeconds(): number {
  // Fields after "(comm)": utime, stime, cutime, cstime are fields 14-17 of /proc/<pid>/stat.
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) / CLOCK_TICKS_PER_SECOND;
}

const log = process.env.TEST_CPU_LOG;
if (log) {
  const cpuAtStart = cpuSeconds();
  const wallAtStart = performance.now();
  const file = expect.getState().testPath;
  afterAll(() => {
    const record = { file, project: process.env.TEST_DB ?? 'unit', cpuSeconds: cpuSeconds() - cpuAtStart, wallSeconds: (performance.now() - wallAtStart) / 1000 };
    appendFileSync(log, `${JSON.stringify(record)}\n`);
  });
}
