import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';
import { HOOK_TIMEOUT_MS, TEST_TIMEOUT_MS } from './test/support/timing.js';

// Node loads graphql's CommonJS build for the dependencies (Pothos, Yoga);
// Vite would give our own files the .mjs build, and graphql refuses to mix
// the two. Point both at the one Node uses.
const graphqlEntry = createRequire(import.meta.url).resolve('graphql');

// Test groups (TEST_GROUP=unit|api|slow, or `npm run test:unit` etc.; unset runs all):
// - unit: pure modules, no database, run once;
// - slow: spawned processes, concurrency, crash recovery, migrations;
// - api: everything else, through the GraphQL API and HTTP routes.
// api and slow run on the embedded database and, when TEST_DATABASE_URL is
// set, a second time on that PostgreSQL server.
const UNIT = [
  'test/domain/**/*.test.ts',
  'test/schema.test.ts',
  'test/generated-files.test.ts',
  'test/mutation-errors.test.ts',
  'test/writes-retry.test.ts',
  'test/docs/graphql-snippets.test.ts',
  'test/docs/graphiql-tabs.test.ts',
];
const SLOW = [
  'test/server-process.test.ts',
  'test/operations-process.test.ts',
  'test/live/processes.test.ts',
  'test/process-cleanup.test.ts',
  'test/cli.test.ts',
  'test/docs/publish-story.test.ts',
  'test/docs/api-guide.test.ts',
  'test/writes-pipeline.test.ts',
  'test/crash.test.ts',
  'test/multi-process.test.ts',
  'test/faults.test.ts',
  'test/push/blob-collector-race.test.ts',
  'test/db/**/*.test.ts',
  'test/**/*concurrency*.test.ts',
  'test/push/multipart-limit.test.ts',
  'test/push/upload-memory.test.ts',
  'test/blobs/upload-memory.test.ts',
];
const NEVER = ['test/browser/**', 'node_modules/**'];

const group = process.env.TEST_GROUP?.trim() || 'all';
if (!['all', 'unit', 'api', 'slow'].includes(group)) throw new Error(`TEST_GROUP=${group}: expected unit, api or slow (or unset for all)`);

// A whole run (`npm test`) runs the unit files in the pglite project's worker:
// vitest gives each project a worker of its own, and the unit project's cost
// ~2 s of CPU beyond its files (starting, importing the modules the other
// worker has already imported). They still run once, and touch no database.
const databaseFiles = (withUnit: boolean) =>
  group === 'slow'
    ? { include: SLOW, exclude: NEVER }
    : { include: ['test/**/*.test.ts'], exclude: [...NEVER, ...(withUnit ? [] : UNIT), ...(group === 'api' ? SLOW : [])] };

const shared = {
  testTimeout: TEST_TIMEOUT_MS,
  hookTimeout: HOOK_TIMEOUT_MS,
  teardownTimeout: HOOK_TIMEOUT_MS,
  // Test files share a worker's module cache: the app and its dependencies
  // are imported once per worker instead of once per file (~4 s of CPU each).
  // Files keep their own module scope; each builds its own store.
  isolate: false,
  setupFiles: ['test/support/cpu-log.ts'],
  // V8 flag of the workers: PGlite's and Prisma's WebAssembly stays on V8's
  // baseline compiler, as in the store itself (src/db/pglite-options.ts) and
  // the servers tests spawn (test/support/process.ts): recompiling the hot
  // functions with the optimising compiler cost more CPU than it saved, even
  // over a whole group (the api files: 61.9 s of CPU without, 53.2 s with; a
  // larger young generation, --max-semi-space-size=32, saved nothing).
  execArgv: ['--liftoff-only'],
};

const databaseProject = (name: 'pglite' | 'postgres') => ({
  extends: true as const,
  test: {
    ...shared,
    ...databaseFiles(name === 'pglite' && group === 'all'),
    name,
    env: { TEST_DB: name },
    globalSetup: ['test/support/global-setup.ts'],
    setupFiles: ['test/support/cpu-log.ts', 'test/support/setup-file.ts'],
  },
});

export default defineConfig({
  resolve: { alias: [{ find: /^graphql$/, replacement: graphqlEntry }] },
  test: {
    // Vite's transforms of the sources are kept in node_modules/.experimental-vitest-cache,
    // keyed by content, for the next run: ~1 s of CPU less per run (`vitest --clearCache` empties it).
    experimental: { fsModuleCache: true },
    projects: [
      ...(group === 'unit' ? [{ extends: true as const, test: { ...shared, name: 'unit', include: UNIT, exclude: NEVER } }] : []),
      ...(group === 'unit' ? [] : [databaseProject('pglite')]),
      ...(group !== 'unit' && process.env.TEST_DATABASE_URL ? [databaseProject('postgres')] : []),
    ],
  },
});
