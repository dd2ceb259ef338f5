// Runs once per vitest run and test project, before any test file: prepares
// one migrated database that every test file then copies, so that no file
// pays for initdb and the migrations (seconds of CPU each), and kills any
// server process a test left behind when the run ends. It also compiles the
// sources once for the servers the tests spawn (see buildServer).
//
// - pglite: an in-memory PGlite is migrated and dumped (dumpDataDir) to a
//   tarball, cached across runs; each file starts its own in-memory PGlite
//   from it (createTestDatabase).
// - postgres: a template database is migrated; each file gets
//   `CREATE DATABASE ... TEMPLATE` (a file copy, ~0.1 s) and drops it after.

import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { TestProject } from 'vitest/node';
import { killMarkedProcesses, TEST_RUN_MARKER } from './process-tree.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

declare module 'vitest' {
  export interface ProvidedContext {
    /** A dumpDataDir tarball of a migrated PGlite (pglite project). */
    pgliteSnapshot: string;
    /** The same before the migrations: a new, empty PGlite without initdb's ~2 s of CPU (pglite project). */
    pgliteEmptySnapshot: string;
    /** The migrated template database's name (postgres project). */
    postgresTemplate: string;
    /** Databases made from the template are named with this prefix (dropped at the end). */
    postgresPrefix: string;
    /** The TEST_RUN_MARKER of this run's spawned processes. */
    testRunMarker: string;
    /** This run's compiled build of src/ (a directory like dist/), which spawned servers run. */
    serverBuild: string;
  }
}

/** One marker for the run, shared by its projects. */
let runMarker: string | undefined;

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // Spawned servers carry this marker in their environment (see process.ts),
  // so that the teardown finds every one of them, whoever their parent is now.
  // Not put in this process's environment: vitest's workers, forked from it,
  // would carry it too, and the teardown would kill a worker still exiting.
  const marker = (runMarker ??= process.env[TEST_RUN_MARKER] || `${process.pid}-${randomBytes(4).toString('hex')}`);
  project.provide('testRunMarker', marker);
  const kind = project.config.env?.TEST_DB;
  const teardowns: Array<() => Promise<void>> = [];
  project.provide('serverBuild', await buildServer());
  if (kind === 'pglite') teardowns.push(await preparePgliteSnapshot(project));
  if (kind === 'postgres') teardowns.push(await preparePostgresTemplate(project));
  return async () => {
    const survivors = await killMarkedProcesses(marker);
    for (const teardown of teardowns) await teardown();
    if (survivors.length > 0) {
      // Not a failure of the run (the test that leaked already failed or timed out), but worth knowing.
      process.stderr.write(`test teardown: killed ${survivors.length} leftover server process(es): ${survivors.join(', ')}\n`);
    }
  };
}

/**
 * Spawned servers run compiled JavaScript, as `npm start` does, rather than
 * the sources through tsx: tsx costs every server start ~1.5 s more CPU, and
 * a run starts dozens. The build (~2 s of CPU) is made by scripts/build.mjs
 * from the current sources and kept for the next run, keyed by everything it
 * is made from (every file under src/, the build script, the lockfile, Node's
 * version), like Vite's transforms and the PGlite snapshot: a run after any
 * change to the sources builds afresh, so no test runs a stale one. It lives
 * next to src/ (for paths relative to its modules to hold), in
 * `.test-build-<key>`; made in a directory of its own and renamed into place,
 * so runs at the same time never see half of one. Builds of other keys are
 * removed once unused for a day (a run still using one is long over).
 */
let serverBuild: Promise<string> | undefined;
function buildServer(): Promise<string> {
  serverBuild ??= (async () => {
    const key = await buildKey();
    const dir = path.join(ROOT, `.test-build-${key}`);
    await pruneOldBuilds(dir);
    if (await fs.stat(path.join(dir, 'main.js')).then(() => true, () => false)) {
      // Marked as used, so that pruning (by age) never takes a build a run still uses.
      await fs.utimes(dir, new Date(), new Date());
      return dir;
    }
    const fresh = `.test-build-new-${process.pid}-${randomBytes(4).toString('hex')}`;
    try {
      await promisify(execFile)(process.execPath, [path.join(ROOT, 'scripts', 'build.mjs'), fresh], { cwd: ROOT });
      await fs.rename(path.join(ROOT, fresh), dir).catch(async (error: NodeJS.ErrnoException) => {
        // Another run put the same build in place first: use it.
        if (error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST') throw error;
      });
    } finally {
      await fs.rm(path.join(ROOT, fresh), { recursive: true, force: true });
    }
    return dir;
  })();
  return serverBuild;
}

/** A digest of what the build is made from: every file under src/ (names and bytes), the build script, the lockfile and Node's version. */
async function buildKey(): Promise<string> {
  const hash = createHash('sha256').update(process.version);
  const src = path.join(ROOT, 'src');
  const files = (await fs.readdir(src, { recursive: true, withFileTypes: true }))
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name))
    .sort();
  for (const file of [...files, path.join(ROOT, 'scripts', 'build.mjs'), path.join(ROOT, 'package-lock.json')]) {
    hash.update(path.relative(ROOT, file)).update('\0').update(await fs.readFile(file)).update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}

const DAY_MS = 24 * 3600 * 1000;
async function pruneOldBuilds(keep: string): Promise<void> {
  for (const name of await fs.readdir(ROOT)) {
    const dir = path.join(ROOT, name);
    if (!name.startsWith('.test-build-') || dir === keep) continue;
    const stat = await fs.stat(dir).catch(() => null);
    if (stat && Date.now() - stat.mtimeMs > DAY_MS) await fs.rm(dir, { recursive: true, force: true });
  }
}

/**
 * The snapshot is cached across runs under node_modules/.cache, keyed by the
 * migrations, PGlite's version and its start parameters: a run of one test
 * file then costs no initdb and no migration at all.
 */
async function preparePgliteSnapshot(project: TestProject): Promise<() => Promise<void>> {
  const { PGlite } = await import('@electric-sql/pglite');
  const { DEFAULT_MIGRATIONS_DIR, migratePglite } = await import('../../src/db/migrate.js');
  const { pgliteStartParams } = await import('../../src/db/pglite-options.js');
  const startParams = pgliteStartParams(PGlite.defaultStartParams);
  const key = createHash('sha256');
  key.update(JSON.stringify({ startParams, pglite: await packageVersion('@electric-sql/pglite') }));
  for (const migration of (await fs.readdir(DEFAULT_MIGRATIONS_DIR, { recursive: true })).sort()) {
    const file = path.join(DEFAULT_MIGRATIONS_DIR, migration);
    if ((await fs.stat(file)).isFile()) key.update(`${migration}\0`).update(await fs.readFile(file));
  }
  const cacheDir = path.join(ROOT, 'node_modules', '.cache', 'charm-store-tests');
  const name = key.digest('hex').slice(0, 16);
  const file = path.join(cacheDir, `pglite-${name}.tar`);
  const emptyFile = path.join(cacheDir, `pglite-empty-${name}.tar`);
  if (!(await exists(file)) || !(await exists(emptyFile))) {
    const pglite = await PGlite.create({ startParams });
    let empty: Blob;
    let snapshot: Blob;
    try {
      empty = await pglite.dumpDataDir('none');
      await migratePglite(pglite);
      snapshot = await pglite.dumpDataDir('none');
    } finally {
      await pglite.close();
    }
    await fs.mkdir(cacheDir, { recursive: true });
    // Written aside and renamed: a concurrent run never reads half a file.
    for (const [target, blob] of [[emptyFile, empty], [file, snapshot]] as const) {
      const partial = `${target}.${process.pid}.partial`;
      await fs.writeFile(partial, Buffer.from(await blob.arrayBuffer()));
      await fs.rename(partial, target);
    }
  }
  project.provide('pgliteSnapshot', file);
  project.provide('pgliteEmptySnapshot', emptyFile);
  return async () => {};
}

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(
    () => true,
    () => false,
  );
}

async function packageVersion(name: string): Promise<string> {
  const manifest = JSON.parse(await fs.readFile(path.join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string };
  return manifest.version;
}

async function preparePostgresTemplate(project: TestProject): Promise<() => Promise<void>> {
  const { default: pg } = await import('pg');
  const { migratePostgres } = await import('../../src/db/migrate.js');
  const { databaseUrl, testDatabaseUrl } = await import('./database.js');
  const url = testDatabaseUrl();
  const prefix = `charmstore_test_${randomBytes(4).toString('hex')}`;
  const template = `${prefix}_template`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${template}"`);
  } finally {
    await admin.end();
  }
  await migratePostgres(databaseUrl(url, template));
  project.provide('postgresTemplate', template);
  project.provide('postgresPrefix', prefix);
  return async () => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      // The files drop their own; a file that crashed or timed out may have left one.
      const { rows } = await client.query<{ datname: string }>('SELECT datname FROM pg_database WHERE starts_with(datname, $1)', [prefix]);
      for (const { datname } of rows) await client.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    } finally {
      await client.end();
    }
  };
}
