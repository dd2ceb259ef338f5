import { defineConfig } from 'vitest/config';

// Every test file runs on the embedded database; when TEST_DATABASE_URL is
// set, the whole suite runs a second time against that PostgreSQL server.
const shared = {
  include: ['test/**/*.test.ts'],
  exclude: ['test/browser/**', 'node_modules/**'],
  testTimeout: 60_000,
  hookTimeout: 120_000,
};

export default defineConfig({
  test: {
    projects: [
      { test: { ...shared, name: 'pglite', env: { TEST_DB: 'pglite' } } },
      ...(process.env.TEST_DATABASE_URL ? [{ test: { ...shared, name: 'postgres', env: { TEST_DB: 'postgres' } } }] : []),
    ],
  },
});
