import { FileBlobStore } from './blobs/file-blob-store.js';
import { ConfigError, loadConfig } from './config.js';
import { DatabaseStartupError, openDatabase, type Database } from './db/database.js';
import { createApp } from './http/app.js';
import { listen } from './http/server.js';
import { createLogger } from './logger.js';
import { ensureAdmin } from './services/accounts/ensure-admin.js';
import { collectGarbage } from './services/blobs/collect-garbage.js';
import { StoreError } from './domain/errors.js';

/** Starts the store: configuration, database (migrated), first admin, HTTP server, graceful shutdown. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const logger = createLogger(config.logLevel);

  let db: Database;
  try {
    db = await openDatabase(config);
  } catch (error) {
    logger.fatal({ err: error }, error instanceof DatabaseStartupError ? error.message : 'cannot open the database');
    process.exit(1);
  }
  logger.info({ database: db.kind, dataDir: config.databaseUrl ? undefined : config.dataDir }, 'database ready');

  if (config.admin) {
    try {
      const outcome = await ensureAdmin(db.prisma, config.admin, config.scryptCost, new Date());
      logger.info({ username: config.admin.username, outcome }, 'admin account checked');
    } catch (error) {
      logger.fatal({ err: error }, error instanceof StoreError ? error.message : 'cannot create the admin account');
      await db.close();
      process.exit(1);
    }
  }

  let blobs: FileBlobStore;
  try {
    blobs = await FileBlobStore.open(config.blobDir);
  } catch (error) {
    logger.fatal({ err: error, blobDir: config.blobDir }, `cannot use the blob directory ${config.blobDir}`);
    await db.close();
    process.exit(1);
  }
  // Leftovers of a crash (a blob written, its revision never committed) go now;
  // in the background, so a large store does not delay start-up.
  collectGarbage(db.prisma, blobs, { now: new Date(), graceMs: config.blobGcGraceSeconds * 1000 }).then(
    (report) => logger.info({ ...report, blobDir: config.blobDir }, 'blob garbage collected'),
    (error: unknown) => logger.error({ err: error }, 'blob garbage collection failed'),
  );

  const app = createApp({
    db,
    logger,
    blobs,
    settings: {
      tokenTtlSeconds: config.tokenTtlSeconds,
      maxTokenTtlSeconds: config.maxTokenTtlSeconds,
      scryptCost: config.scryptCost,
      archiveLimits: config.archiveLimits,
      maxUploadBytes: config.maxUploadBytes,
      branchTtlSeconds: config.branchTtlSeconds,
      uploadTtlSeconds: config.uploadTtlSeconds,
      maxChannelsPerChange: config.maxChannelsPerChange,
      writes: config.writes,
    },
    limits: { maxQueryDepth: config.maxQueryDepth, maxQueryCost: config.maxQueryCost, maxMultipartBytes: config.maxMultipartBytes },
  });
  const server = await listen(app, config.host, config.port, logger);
  // The idle footprint, for operators sizing the host (docs/performance.md: Memory).
  logger.info({ memoryMiB: memoryMiB() }, 'memory after start-up');

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: finishing in-flight requests');
    await server.close(config.shutdownTimeoutMs);
    await db.close();
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

/** process.memoryUsage() in MiB, rounded. */
function memoryMiB(): Record<string, number> {
  return Object.fromEntries(Object.entries(process.memoryUsage()).map(([name, bytes]) => [name, Math.round(bytes / 2 ** 20)]));
}

main().catch((error: unknown) => {
  process.stderr.write(`The charm store failed to start: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
