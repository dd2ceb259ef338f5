import os from 'node:os';
import type { BlobStore } from './blobs/blob-store.js';
import { blobLocation, openBlobStore } from './blobs/open-blob-store.js';
import type { StoreConfig } from './config.js';
import { DatabaseStartupError, openDatabase, type Database } from './db/database.js';
import type { AppOptions } from './http/app.js';
import { listen, type RunningServer } from './http/server.js';
import { createLogger } from './logger.js';
import { ensureAdmin } from './services/accounts/ensure-admin.js';
import { DownloadCounter } from './services/downloads/download-counter.js';
import { collectGarbage } from './services/blobs/collect-garbage.js';
import { StoreError } from './domain/errors.js';
import { listenProblem } from './startup-checks.js';

/**
 * Starts the store once main.ts has checked the settings, the data
 * directory's lock and the port: database (migrated), first admin, HTTP
 * server, and shutdown on SIGTERM/SIGINT.
 */
export async function startStore(config: StoreConfig, hooks: { stopTracing?: () => Promise<void> } = {}): Promise<void> {
  const logger = createLogger(config.logLevel);
  // The app's modules (GraphQL, Yoga, the schema: most of start-up's CPU)
  // load while the database connects and checks its migrations.
  const appModule = import('./http/app.js');

  let db: Database;
  try {
    db = await openDatabase(config);
  } catch (error) {
    logger.fatal({ err: error }, error instanceof DatabaseStartupError ? error.message : 'cannot open the database');
    process.exit(1);
  }
  // Prisma's own warnings and errors, as JSON lines like every other.
  db.onPrismaLog((level, message, target) => logger[level]({ target, source: 'prisma' }, message));
  logger.info({ database: db.kind, dataDir: config.databaseUrl ? undefined : config.dataDir }, 'database ready');

  // The admin check (a password hash: scrypt, on libuv's thread pool) runs
  // while the app is built; the server listens only once it succeeded.
  const adminChecked = config.admin ? ensureAdmin(db.prisma, config.admin, config.scryptCost, new Date()) : Promise.resolve(null);
  adminChecked.catch(() => undefined);

  let blobs: BlobStore;
  try {
    blobs = await openBlobStore(config);
  } catch (error) {
    logger.fatal({ err: error, blobs: blobLocation(config) }, `cannot use the blob store ${blobLocation(config)}`);
    await db.close();
    process.exit(1);
  }
  // Leftovers of a crash (a blob written, its revision never committed) go now;
  // in the background, so a large store does not delay start-up.
  collectGarbage(db, blobs, { now: new Date(), graceMs: config.blobGcGraceSeconds * 1000 }).then(
    (report) => logger.info({ ...report, blobs: blobLocation(config) }, 'blob garbage collected'),
    (error: unknown) => logger.error({ err: error }, 'blob garbage collection failed'),
  );

  const { createApp } = await appModule;
  const downloadCounter = new DownloadCounter(db.prisma, logger);
  downloadCounter.start(config.downloadStatsFlushSeconds * 1000);
  const app = createApp(storeAppOptions(config, { db, logger, blobs, downloadCounter }));
  try {
    const outcome = await adminChecked;
    if (config.admin) logger.info({ username: config.admin.username, outcome }, 'admin account checked');
  } catch (error) {
    logger.fatal({ err: error }, error instanceof StoreError ? error.message : 'cannot create the admin account');
    await downloadCounter.stop();
    await db.close();
    process.exit(1);
  }
  let server: RunningServer;
  try {
    server = await listen(app, config.host, config.port, logger);
  } catch (error) {
    // Taken since main.ts checked it, most likely by another server.
    logger.fatal({ err: error }, listenProblem(config.host, config.port, error));
    await db.close();
    process.exit(1);
  }
  // The idle footprint, for operators sizing the host (docs/performance.md: Memory).
  logger.info({ memoryMiB: memoryMiB() }, 'memory after start-up');

  // A first signal drains in-flight requests for most of the shutdown
  // deadline, leaving the rest to close the database; whatever still hangs
  // when the deadline passes (a database that never closes), the process
  // exits anyway. A second signal exits at once: an operator pressing ^C
  // twice, or a supervisor that has run out of patience.
  let stopping = false;
  const stop = async (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(128 + os.constants.signals[signal]);
    }
    stopping = true;
    logger.info({ signal, deadlineMs: config.shutdownTimeoutMs }, 'shutting down: finishing in-flight requests');
    setTimeout(() => {
      logger.error({ deadlineMs: config.shutdownTimeoutMs }, 'shutdown deadline passed: exiting without a clean close');
      process.exit(1);
    }, config.shutdownTimeoutMs).unref();
    await server.close(Math.floor(config.shutdownTimeoutMs * DRAIN_SHARE_OF_SHUTDOWN));
    // After the last download finished, before the database closes.
    await downloadCounter.stop();
    await db.close();
    await hooks.stopTracing?.();
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

/**
 * The app's options as the server derives them from its settings. Shared
 * with test/docs/api-guide.test.ts, which runs the API guide against an
 * in-process app configured exactly as `npm start` configures it.
 */
export function storeAppOptions(config: StoreConfig, parts: Pick<AppOptions, 'db' | 'logger' | 'blobs' | 'downloadCounter'>): AppOptions {
  return {
    ...parts,
    metricsToken: config.metricsToken,
    settings: {
      tokenTtlSeconds: config.tokenTtlSeconds,
      maxTokenTtlSeconds: config.maxTokenTtlSeconds,
      scryptCost: config.scryptCost,
      archiveLimits: config.archiveLimits,
      maxUploadBytes: config.maxUploadBytes,
      branchTtlSeconds: config.branchTtlSeconds,
      uploadTtlSeconds: config.uploadTtlSeconds,
      maxChannelsPerChange: config.maxChannelsPerChange,
      maxRefreshInstances: config.maxRefreshInstances,
      writes: config.writes,
      webhooks: { allowPrivate: config.live.webhookAllowPrivate },
    },
    limits: { maxQueryDepth: config.maxQueryDepth, maxQueryCost: config.maxQueryCost, maxMultipartBytes: config.maxMultipartBytes },
    corsOrigins: config.corsOrigins,
    trustProxy: config.trustProxy,
    readCache: config.readCache,
    live: {
      authRecheckMs: config.live.authRecheckSeconds * 1000,
      webhookDelivery: {
        allowPrivate: config.live.webhookAllowPrivate,
        retryBaseMs: config.live.webhookRetryBaseMs,
        retryForMs: config.live.webhookRetryForSeconds * 1000,
        timeoutMs: config.live.webhookTimeoutMs,
        pollMs: config.live.webhookPollMs,
      },
    },
  };
}

/** The part of STORE_SHUTDOWN_TIMEOUT_MS in-flight requests get; the rest is for closing the database. */
const DRAIN_SHARE_OF_SHUTDOWN = 0.8;

/** process.memoryUsage() in MiB, rounded. */
function memoryMiB(): Record<string, number> {
  return Object.fromEntries(Object.entries(process.memoryUsage()).map(([name, bytes]) => [name, Math.round(bytes / 2 ** 20)]));
}
