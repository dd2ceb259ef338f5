// The server's entry point. It checks everything that can be checked in a
// moment before loading the app (seconds of imports on a small machine):
// the settings, that no other server uses the data directory, that the port
// is free. Each failure is one line on stderr and a non-zero exit.

import { ConfigError, loadConfig, type StoreConfig } from './config.js';
import { checkPortFree, lockDataDir, StartupCheckError } from './startup-checks.js';

async function main(): Promise<void> {
  let config: StoreConfig;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message, 2);
    throw error;
  }
  // Before anything compiles WebAssembly (src/db/pglite-options.ts says why).
  if (!config.databaseUrl && !config.pgliteOptimizedWasm) {
    const { compileWasmWithBaselineOnly } = await import('./db/pglite-options.js');
    compileWasmWithBaselineOnly();
  }
  try {
    // Only the embedded database is exclusive; servers on PostgreSQL may share a data (blob) directory.
    if (!config.databaseUrl) {
      const release = lockDataDir(config.dataDir);
      process.on('exit', release);
    }
    await checkPortFree(config.host, config.port);
  } catch (error) {
    if (error instanceof StartupCheckError) fail(error.message, 1);
    throw error;
  }
  // Tracing patches http and pg as they load, so it starts before the app is imported; without an endpoint its packages are never loaded.
  let stopTracing: (() => Promise<void>) | undefined;
  if (config.otlpEndpoint) {
    const [{ startTracing }, { createLogger }] = await Promise.all([import('./tracing.js'), import('./logger.js')]);
    stopTracing = await startTracing(config.otlpEndpoint, createLogger(config.logLevel));
  }
  const { startStore } = await import('./start-store.js');
  await startStore(config, { stopTracing });
}

function fail(message: string, exitCode: number): never {
  process.stderr.write(`${message}\n`);
  process.exit(exitCode);
}

main().catch((error: unknown) => {
  process.stderr.write(`The charm store failed to start: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
