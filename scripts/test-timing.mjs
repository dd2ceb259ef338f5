#!/usr/bin/env node
// `npm run test:timing`: runs the whole suite on the embedded database, then
// one API file, and prints each run's wall time and CPU time next to the
// targets in docs/performance.md. CPU time is what the runs cost whatever
// else the machine does; wall time only means something on an idle machine.
//
// CPU time is read from /proc/self/stat (cutime + cstime: every process we
// waited for, with the processes they waited for), so this is Linux only.
// Extra arguments go to both vitest runs (e.g. --reporter=dot).
//
// The suite run also logs each test file's CPU time (TEST_CPU_LOG, see
// test/support/cpu-log.ts), and the costliest files are printed: where to
// look when the figure grows.

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..');
const VITEST = path.join(ROOT, 'node_modules', '.bin', 'vitest');
const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ: 100 on every Linux build that matters
const ONE_API_FILE = 'test/names.test.ts';

const COSTLIEST_FILES = 12;
const logDir = mkdtempSync(path.join(os.tmpdir(), 'test-timing-'));
const cpuLog = path.join(logDir, 'cpu.jsonl');

const runs = [
  { name: 'npm test (embedded)', args: ['run'], env: { TEST_CPU_LOG: cpuLog }, target: { cpuSeconds: 120, label: 'under 2 CPU-minutes' } },
  { name: `one API file (${ONE_API_FILE})`, args: ['run', ONE_API_FILE, '--project', 'pglite'], target: { wallSeconds: 10, label: 'under 10 s wall' } },
];

function childCpuSeconds() {
  // Fields after the command name "(...)": state is field 3; cutime and cstime are fields 16 and 17.
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[13]) + Number(fields[14])) / CLOCK_TICKS_PER_SECOND;
}

function run(args, extraEnv = {}) {
  return new Promise((resolve) => {
    // Embedded only: the targets are for PGlite, and PostgreSQL doubles the suite.
    const env = { ...process.env, TEST_DATABASE_URL: '', ...extraEnv };
    const child = spawn(VITEST, [...args, ...process.argv.slice(2)], { cwd: ROOT, env, stdio: 'inherit' });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

const load = os.loadavg()[0].toFixed(1);
const results = [];
let failed = false;
for (const { name, args, env, target } of runs) {
  const cpuBefore = childCpuSeconds();
  const started = performance.now();
  const code = await run(args, env);
  const wallSeconds = (performance.now() - started) / 1000;
  const cpuSeconds = childCpuSeconds() - cpuBefore;
  failed ||= code !== 0;
  const met = target.cpuSeconds !== undefined ? cpuSeconds < target.cpuSeconds : wallSeconds < target.wallSeconds;
  results.push({ name, code, wallSeconds, cpuSeconds, target: target.label, met });
}

console.log(`\ntest timing (${os.availableParallelism()} cores, load average ${load} at the start; targets are for an idle 2-core machine)`);
for (const r of results) {
  console.log(
    `  ${r.name}: ${r.wallSeconds.toFixed(1)} s wall, ${(r.cpuSeconds / 60).toFixed(2)} CPU-minutes (${r.cpuSeconds.toFixed(1)} s)` +
      ` - target ${r.target}: ${r.met ? 'met' : 'NOT met'}${r.code === 0 ? '' : ` - tests FAILED (exit ${r.code})`}`,
  );
}

let files = [];
try {
  files = readFileSync(cpuLog, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line));
} catch {
  // no log: the suite did not get to run a file
}
rmSync(logDir, { recursive: true, force: true });
if (files.length > 0) {
  const total = files.reduce((sum, file) => sum + file.cpuSeconds, 0);
  console.log(`  the suite's ${files.length} test files: ${total.toFixed(1)} s of CPU (the rest: vitest itself, its workers, the global set-up); the costliest:`);
  for (const file of files.sort((a, b) => b.cpuSeconds - a.cpuSeconds).slice(0, COSTLIEST_FILES)) {
    console.log(`    ${file.cpuSeconds.toFixed(1).padStart(5)} s CPU ${file.wallSeconds.toFixed(1).padStart(6)} s wall  ${path.relative(ROOT, file.file)} (${file.project})`);
  }
}
process.exit(failed ? 1 : 0);
