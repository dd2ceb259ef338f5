import { defineConfig } from 'vitest/config';

// End-to-end browser tests: `npm run test:browser`.
// They start the real server and drive Debian's /usr/bin/chromium through
// playwright-core, so they run on their own, one file at a time, with long
// timeouts. The main suite (`npm test`) should not pick up test/browser/.
export default defineConfig({
  test: {
    include: ['test/browser/**/*.browser.test.ts'],
    environment: 'node',
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
    teardownTimeout: 30_000,
    env: { CHARMSTORE_BROWSER_TEST: '1' },
  },
});
