#!/usr/bin/env node
// `npm run test:timing`: runs the whole suite on the embedded database, then
// one API file, and prints each run's wall time and CPU time next to the
// targets in docs/performance.md. CPU time is what the runs cost whatever
// else the machine does; wall time only means something on an idle machine.
//
// CPU time is read from /proc/self/stat (cutime + cstime: every process we
// waited for, with the processes they waited for), so this is Linux only.
// Extra arguments go to both vitest runs (e.g. --reporter=dot).

import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..');
const VITEST = path.join(ROOT, 'node_modules', '.bin', 'vitest');
const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ: 100 on every Linux build that matters
const ONE_API_FILE = 'test/names.test.ts';

const runs = [
  { name: 'npm test (embedded)', args: ['run'], target: { cpuSeconds: 120, label: 'under 2 CPU-minutes' } },
  { name: `one API file (${ONE_API_FILE})`, args: ['run', ONE_API_FILE, '--project', 'pglite'], target: { wallSeconds: 10, label: 'under 10 s wall' } },
];

function childCpuSeconds() {
  // Fields after the command name "(...)": state is field 3; cutime and cstime are fields 16 and 17.
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[13]) + Number(fields[14])) / CLOCK_TICKS_PER_SECOND;
}

function run(args) {
  return new Promise((resolve) => {
    // Embedded only: the targets are for PGlite, and PostgreSQL doubles the suite.
    const env = { ...process.env, TEST_DATABASE_URL: '' };
    const child = spawn(VITEST, [...args, ...process.argv.slice(2)], { cwd: ROOT, env, stdio: 'inherit' });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

const load = os.loadavg()[0].toFixed(1);
const results = [];
let failed = false;
for (const { name, args, target } of runs) {
  const cpuBefore = childCpuSeconds();
  const started = performance.now();
  const code = await run(args);
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
process.exit(failed ? 1 : 0);
