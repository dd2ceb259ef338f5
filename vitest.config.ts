import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

// Node loads graphql's CommonJS build for the dependencies (Pothos, Yoga);
// Vite would give our own files the .mjs build, and graphql refuses to mix
// the two. Point both at the one Node uses.
const graphqlEntry = createRequire(import.meta.url).resolve('graphql');

// Every test file runs on the embedded database; when TEST_DATABASE_URL is
// set, the whole suite runs a second time against that PostgreSQL server.
const shared = {
  include: ['test/**/*.test.ts'],
  exclude: ['test/browser/**', 'node_modules/**'],
  testTimeout: 60_000,
  hookTimeout: 120_000,
};

export default defineConfig({
  resolve: { alias: [{ find: /^graphql$/, replacement: graphqlEntry }] },
  test: {
    projects: [
      { extends: true as const, test: { ...shared, name: 'pglite', env: { TEST_DB: 'pglite' } } },
      ...(process.env.TEST_DATABASE_URL ? [{ extends: true as const, test: { ...shared, name: 'postgres', env: { TEST_DB: 'postgres' } } }] : []),
    ],
  },
});
