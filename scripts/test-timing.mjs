#!/usr/bin/env node
// `npm run test:timing`: runs the whole suite on the embedded database
// (`npm test` with TEST_DATABASE_URL unset), then one API file, and prints
// each run's wall time and CPU time against the targets (docs/development.md):
//   - `npm test`, embedded: under 2 CPU-minutes in total;
//   - one API file (test/names.test.ts) alone: under 10 s of wall time;
// both on an idle 2-core machine. CPU time is what the runs cost whatever
// else the machine does (contention still inflates it somewhat); wall time
// only means something on an idle machine, so the load average at the start
// and the end is printed with the figures.
//
// CPU time is that of every process of the run, orphans included: vitest
// runs under a child subreaper (`prctl(PR_SET_CHILD_SUBREAPER)`, a few lines
// of Python: Node cannot make the call), which reaps every descendant, so a
// server's migration child killed with its process group, or the server
// under an `npm start` killed with npm, re-parented there rather than to
// init, is counted too. Without python3 it falls back to /proc/self/stat
// (cutime + cstime: only the processes waited for, with the processes they
// waited for), and says so. Linux only.
// Extra arguments go to both vitest runs (e.g. --reporter=dot).
//
// The suite run also logs each test file's CPU time (TEST_CPU_LOG, see
// test/support/cpu-log.ts): the script prints the CPU of each test group
// (unit, api, slow: vitest.config.ts) and the costliest files, and keeps the
// log in node_modules/.cache/charm-store-tests/test-timing-files.jsonl.

import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..');
const VITEST = path.join(ROOT, 'node_modules', '.bin', 'vitest');
const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ: 100 on every Linux build that matters
const ONE_API_FILE = 'test/names.test.ts';

const COSTLIEST_FILES = 15;
const KEPT_LOG = path.join(ROOT, 'node_modules', '.cache', 'charm-store-tests', 'test-timing-files.jsonl');
const logDir = mkdtempSync(path.join(os.tmpdir(), 'test-timing-'));
const cpuLog = path.join(logDir, 'cpu.jsonl');

const runs = [
  { name: 'npm test (embedded: unit, api, slow)', args: ['run'], env: { TEST_CPU_LOG: cpuLog }, target: { cpuSeconds: 120, label: 'under 2 CPU-minutes' } },
  { name: `one API file (${ONE_API_FILE})`, args: ['run', ONE_API_FILE, '--project', 'pglite'], target: { wallSeconds: 10, label: 'under 10 s wall' } },
];

function childCpuSeconds() {
  // Fields after the command name "(...)": state is field 3; cutime and cstime are fields 16 and 17.
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[13]) + Number(fields[14])) / CLOCK_TICKS_PER_SECOND;
}

/**
 * Runs the command given as a child subreaper, waits for every descendant, and writes their CPU seconds
 * (RUSAGE_CHILDREN: user + system) to the file named by REAPER_CPU_FILE; exits with the command's code.
 */
const REAPER = `
import ctypes, os, resource, signal, sys
if ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0) != 0: sys.exit(90)
pid = os.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
code = 1
class Late(Exception): pass
def late(*_): raise Late()
signal.signal(signal.SIGALRM, late)
try:
    while True:
        try:
            done, status = os.wait()
        except ChildProcessError:
            break
        if done == pid:
            code = os.waitstatus_to_exitcode(status)
            # Orphans still running get 30 s to end; one that outlives them is reported, not waited for.
            signal.alarm(30)
except Late:
    print('test timing: processes outlived the run by 30 s and are not counted', file=sys.stderr)
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
open(os.environ['REAPER_CPU_FILE'], 'w').write(str(usage.ru_utime + usage.ru_stime))
sys.exit(code if code >= 0 else 1)
`;
const reaperWorks = (() => {
  try {
    const file = path.join(logDir, 'reaper-check');
    execFileSync('python3', ['-c', REAPER, 'true'], { env: { ...process.env, REAPER_CPU_FILE: file }, stdio: 'ignore' });
    return readFileSync(file, 'utf8') !== '';
  } catch {
    return false;
  }
})();

/** Runs vitest; resolves its exit code and the CPU seconds of every process of the run (see the top). */
function run(args, extraEnv = {}) {
  return new Promise((resolve) => {
    // Embedded only: the targets are for PGlite, and PostgreSQL doubles the suite.
    const cpuFile = path.join(logDir, 'run-cpu');
    const env = { ...process.env, TEST_DATABASE_URL: '', REAPER_CPU_FILE: cpuFile, ...extraEnv };
    const command = [VITEST, ...args, ...process.argv.slice(2)];
    const cpuBefore = childCpuSeconds();
    const child = reaperWorks
      ? spawn('python3', ['-c', REAPER, ...command], { cwd: ROOT, env, stdio: 'inherit' })
      : spawn(command[0], command.slice(1), { cwd: ROOT, env, stdio: 'inherit' });
    child.on('exit', (code, signal) => {
      const cpuSeconds = reaperWorks ? Number(readFileSync(cpuFile, 'utf8')) : childCpuSeconds() - cpuBefore;
      resolve({ code: code ?? (signal ? 1 : 0), cpuSeconds });
    });
  });
}

const loadAtStart = os.loadavg()[0];
const results = [];
let failed = false;
if (!reaperWorks) console.log('test timing: no python3 (or no prctl): CPU counts only the processes waited for, not orphaned ones (a killed server\'s children)');
for (const { name, args, env, target } of runs) {
  const started = performance.now();
  const { code, cpuSeconds } = await run(args, env);
  const wallSeconds = (performance.now() - started) / 1000;
  failed ||= code !== 0;
  const met = target.cpuSeconds !== undefined ? cpuSeconds < target.cpuSeconds : wallSeconds < target.wallSeconds;
  results.push({ name, code, wallSeconds, cpuSeconds, target: target.label, met });
}
const loadAtEnd = os.loadavg()[0];

const minutes = (seconds) => `${(seconds / 60).toFixed(2)} CPU-minutes (${seconds.toFixed(1)} s)`;
console.log(
  `\ntest timing: ${os.availableParallelism()} cores, load average ${loadAtStart.toFixed(1)} at the start and ${loadAtEnd.toFixed(1)} at the end;` +
    ` the targets are for an idle 2-core machine${Math.max(loadAtStart, loadAtEnd) > 1.5 ? ' (this one was busy: the wall times, and to a lesser degree the CPU times, are inflated)' : ''}`,
);
for (const r of results) {
  console.log(
    `  ${r.name}: ${r.wallSeconds.toFixed(1)} s wall, ${minutes(r.cpuSeconds)}` +
      ` - target ${r.target}: ${r.met ? 'met' : 'NOT met'}${r.code === 0 ? '' : ` - tests FAILED (exit ${r.code})`}`,
  );
}

let files = [];
try {
  files = readFileSync(cpuLog, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line));
  mkdirSync(path.dirname(KEPT_LOG), { recursive: true });
  copyFileSync(cpuLog, KEPT_LOG);
} catch {
  // no log: the suite did not get to run a file
}
rmSync(logDir, { recursive: true, force: true });
if (files.length > 0) {
  const suite = results[0];
  const total = files.reduce((sum, file) => sum + file.cpuSeconds, 0);
  const groups = { unit: 0, api: 0, slow: 0 };
  const slowFiles = groupFiles('slow');
  const unitFiles = groupFiles('unit');
  for (const file of files) groups[unitFiles.has(file.file) ? 'unit' : slowFiles.has(file.file) ? 'slow' : 'api'] += file.cpuSeconds;
  const rest = suite.cpuSeconds - total;
  console.log(`  where the suite's CPU went (${files.length} test files, spawned processes included):`);
  console.log(`    unit files ${groups.unit.toFixed(1)} s, api files ${groups.api.toFixed(1)} s, slow files ${groups.slow.toFixed(1)} s; vitest itself, its workers and the global set-up ${rest.toFixed(1)} s`);
  console.log(`    the suite without the slow group (the same run less its slow files): ${minutes(suite.cpuSeconds - groups.slow)} - not the target's definition, for orientation`);
  console.log(`  the costliest files (all of them: ${path.relative(ROOT, KEPT_LOG)}):`);
  for (const file of files.sort((a, b) => b.cpuSeconds - a.cpuSeconds).slice(0, COSTLIEST_FILES)) {
    const group = unitFiles.has(file.file) ? 'unit' : slowFiles.has(file.file) ? 'slow' : 'api';
    console.log(`    ${file.cpuSeconds.toFixed(1).padStart(5)} s CPU ${file.wallSeconds.toFixed(1).padStart(6)} s wall  ${path.relative(ROOT, file.file)} (${group})`);
  }
}
process.exit(failed ? 1 : 0);

/** The absolute paths of a test group's files, as vitest.config.ts selects them (no test is run). */
function groupFiles(group) {
  const listed = execFileSync(VITEST, ['list', '--filesOnly', '--json'], {
    cwd: ROOT,
    env: { ...process.env, TEST_DATABASE_URL: '', TEST_GROUP: group },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  return new Set(JSON.parse(listed).map((entry) => entry.file));
}
