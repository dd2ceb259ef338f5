import { constants as fsConstants } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import type { SqlDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import type pg from 'pg';
import { DEFAULT_DATABASE_TUNING, type DatabaseTuning } from '../config.js';
import { PrismaClient } from '../generated/prisma/client.js';
import { migratePglite, migratePostgres, migrationsAreApplied, parsePostgresUrl, searchPathOption } from './migrate.js';
import { migrateInChildProcess, MigrationChildError } from './migrate-in-child.js';
import { loadPg } from './pg-module.js';
import { pgliteStartParams } from './pglite-options.js';
import { pgliteSqlDriver, postgresSqlDriver, type SqlDriver } from './sql-transaction.js';
import { changeChannelName, type Notifications, type NotificationSubscription, pgliteNotifications, postgresNotifications } from './notifications.js';

export type { PrismaClient };

/** A transaction client, as handed to `prisma.$transaction(async (tx) => ...)`. */
export type Tx = Parameters<Parameters<PrismaClient['$transaction']>[0]>[0];

export interface Database {
  readonly prisma: PrismaClient;
  readonly kind: 'pglite' | 'postgres';
  /** Resolves when the database answers a trivial query. */
  ping(): Promise<void>;
  /**
   * Hand-written SQL on the driver's own connections, without Prisma's
   * client (sql-transaction.ts): authentication's statement, and the write
   * pipeline's transactions, bounded by the same connection wait and
   * transaction timeout as Prisma's.
   */
  readonly sql: SqlDriver;
  /**
   * Calls `listener` for every SQL statement sent, by Prisma or by
   * `sql` (for both: COMMIT and ROLLBACK, not BEGIN); returns an
   * unsubscribe function.
   */
  onStatement(listener: (sql: string) => void): () => void;
  /** LISTEN/NOTIFY of this store (live updates); listeners stop when the database closes. */
  readonly notifications: Notifications;
  /**
   * Calls `listener` for each of Prisma's own warnings and errors (which it
   * would otherwise print as plain text among the JSON log lines).
   */
  onPrismaLog(listener: PrismaLogListener): () => void;
  /** The connection pool's counters for /metrics (PostgreSQL); null for PGlite, which has one connection. */
  poolStats(): PoolStats | null;
  close(): Promise<void>;
}

export interface PoolStats {
  /** Connections running a query or transaction. */
  inUse: number;
  idle: number;
  /** Requests waiting for a connection. */
  waiting: number;
}

export type PrismaLogListener = (level: 'info' | 'warn' | 'error', message: string, target: string) => void;

export class DatabaseStartupError extends Error {}

export interface OpenDatabaseOptions {
  /**
   * Apply the migrations in a child process (what the server does, so that
   * the schema engine's and initdb's memory is released; see
   * migrate-in-child.ts) rather than in this process. Not possible for an
   * in-memory PGlite.
   */
  migrateInChildProcess?: boolean;
  /** Pool size and waits (config.ts explains how they fit together). */
  tuning?: DatabaseTuning;
  /**
   * The database is already migrated (the tests' copies of a migrated
   * template): skip loading the schema engine, which costs ~1 s of CPU.
   */
  alreadyMigrated?: boolean;
  /**
   * PGlite only: work on this open in-memory instance, which `close()` leaves
   * open for its owner (the tests empty and reuse one for the next store).
   */
  pglite?: PGlite;
  /**
   * PostgreSQL only: the same database reached without a transaction pooler
   * (PgBouncer) in between, for what needs a session of its own: the
   * migrations (a session-level advisory lock) and the live-updates LISTEN.
   */
  directUrl?: string;
}

type QueryListener = (sql: string) => void;

function createClient(adapter: SqlDriverAdapterFactory, tuning: DatabaseTuning) {
  const listeners = new Set<QueryListener>();
  const client = new PrismaClient({
    adapter,
    log: [
      { emit: 'event', level: 'query' },
      { emit: 'event', level: 'info' },
      { emit: 'event', level: 'warn' },
      { emit: 'event', level: 'error' },
    ] as const,
    // Waiting for a connection (PGlite has one, and runs one transaction at a
    // time) takes as long as the pool lets it; see DEFAULT_DATABASE_TUNING.
    transactionOptions: { maxWait: tuning.connectionWaitMs, timeout: tuning.transactionTimeoutMs },
  });
  const notify = (sql: string) => {
    for (const listener of listeners) listener(sql);
  };
  client.$on('query', (event) => notify(event.query));
  const logListeners = new Set<PrismaLogListener>();
  for (const level of ['info', 'warn', 'error'] as const) {
    client.$on(level, (event) => {
      for (const listener of logListeners) listener(level, event.message, event.target);
    });
  }
  const onPrismaLog = (listener: PrismaLogListener) => {
    logListeners.add(listener);
    return () => void logListeners.delete(listener);
  };
  // The log option only changes the client's type parameters; the rest of
  // the code base works with the plain client type.
  const prisma = client as unknown as PrismaClient;
  const onStatement = (listener: QueryListener) => {
    listeners.add(listener);
    return () => void listeners.delete(listener);
  };
  return { prisma, onStatement, onPrismaLog, notify };
}

/** The embedded PostgreSQL, persisted under `dir` (or in memory when `dir` is undefined). */
export async function openPgliteDatabase(dir: string | undefined, options: OpenDatabaseOptions = {}): Promise<Database> {
  if (dir !== undefined) await ensureWritableDirectory(dir);
  // Loaded here, not at the top: under tsx, merely importing PGlite costs a
  // server on PostgreSQL ~40 MiB of resident memory.
  const [{ PGlite }, { PrismaPGlite }] = await Promise.all([import('@electric-sql/pglite'), import('pglite-prisma-adapter')]);
  const open = async () => {
    try {
      return await PGlite.create({
        dataDir: dir,
        startParams: pgliteStartParams(PGlite.defaultStartParams),
      });
    } catch (error) {
      throw cannotOpenPglite(dir, error);
    }
  };
  let pglite: PGlite | undefined;
  if (options.migrateInChildProcess) {
    if (dir === undefined) throw new Error('An in-memory PGlite database cannot be migrated in another process');
    // Nothing to migrate (the usual restart): no child process, no schema
    // engine (~1.5 s of CPU). A new directory is left to the child: initdb
    // is what costs the memory the child exists to give back.
    if (await holdsDatabase(dir)) {
      pglite = await open();
      if (!(await migrationsAreApplied(async (sql) => (await pglite!.query<never>(sql)).rows))) {
        await pglite.close();
        pglite = undefined;
      }
    }
    if (!pglite) {
      // The child creates the database if the directory is empty, migrates it
      // and closes it before we open it here.
      try {
        await migrateInChildProcess({ kind: 'pglite', dir });
      } catch (error) {
        if (error instanceof MigrationChildError && error.phase === 'open') throw cannotOpenPglite(dir, error);
        throw error;
      }
    }
  }
  pglite ??= options.pglite ?? (await open());
  if (!options.migrateInChildProcess && !options.alreadyMigrated) await migratePglite(pglite);
  const tuning = options.tuning ?? DEFAULT_DATABASE_TUNING;
  const { prisma, onStatement, onPrismaLog, notify } = createClient(new PrismaPGlite(pglite), tuning);
  const notifications = closedWithDatabase(pgliteNotifications(pglite, changeChannelName(undefined)));
  return {
    prisma,
    kind: 'pglite',
    sql: pgliteSqlDriver(pglite, tuning, notify),
    onStatement,
    notifications,
    onPrismaLog,
    poolStats: () => null,
    ping: async () => {
      await pglite.query('SELECT 1');
    },
    close: async () => {
      await notifications.stopAll();
      await prisma.$disconnect();
      if (!options.pglite) await pglite.close();
    },
  };
}

/** A PostgreSQL server (tests give each file a schema of its own). */
export async function openPostgresDatabase(
  url: string,
  schemaOverride?: string,
  options: OpenDatabaseOptions = {},
): Promise<Database> {
  let parsed;
  try {
    parsed = parsePostgresUrl(url);
  } catch (error) {
    throw new DatabaseStartupError(`DATABASE_URL is not a valid PostgreSQL url: ${describe(error)}`);
  }
  let parsedDirect;
  try {
    parsedDirect = options.directUrl === undefined ? undefined : parsePostgresUrl(options.directUrl);
  } catch (error) {
    throw new DatabaseStartupError(`STORE_DATABASE_DIRECT_URL is not a valid PostgreSQL url: ${describe(error)}`);
  }
  const directUrl = options.directUrl ?? url;
  // `?schema=name` in the url (Prisma's convention) or the override isolates the store in one schema.
  const schema = schemaOverride ?? parsed.schema;
  const tuning = options.tuning ?? DEFAULT_DATABASE_TUNING;
  // Loaded here, not at the top: an embedded store never needs them (loadPg says why).
  const { Client, Pool } = loadPg();
  const { PrismaPg } = await import('@prisma/adapter-pg');
  const poolConfig: pg.PoolConfig = {
    ...parsed.poolConfig,
    connectionTimeoutMillis: tuning.connectionWaitMs,
    max: tuning.poolSize,
    // JIT compilation costs hundreds of milliseconds on the store's short,
    // wide queries (a dashboard page's batched lookups) and never pays off.
    options: [parsed.poolConfig.options, '-c jit=off', schema ? searchPathOption(schema) : undefined].filter(Boolean).join(' '),
    // A statement is sent without waiting for the answer to the one before it on the same connection: a write's locking
    // statement and the read behind it (locked-read.ts) go in one round trip. Statements that wait for each other's
    // answers (all of Prisma's) run as before.
    pipeline: true,
  };
  // Start-up fails fast when the server is unreachable.
  const probe = new Client({ ...poolConfig, connectionTimeoutMillis: 5000 });
  try {
    await probe.connect();
    await probe.query('SELECT 1');
  } catch (error) {
    throw new DatabaseStartupError(`Cannot connect to DATABASE_URL (${redact(url)}): ${describe(error)}`);
  } finally {
    await probe.end().catch(() => undefined);
  }
  const pool = new Pool(poolConfig);
  // An idle client that loses its server must not crash the process.
  pool.on('error', () => undefined);
  try {
    if (options.migrateInChildProcess) {
      // Nothing to migrate (the usual restart): no child process, no schema engine.
      const current = await migrationsAreApplied(async (sql) => (await pool.query(sql)).rows);
      if (!current) await migrateInChildProcess({ kind: 'postgres', url: directUrl, schema });
    } else if (!options.alreadyMigrated) {
      await migratePostgres(directUrl, schema);
    }
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw error;
  }
  const { prisma, onStatement, onPrismaLog, notify } = createClient(new PrismaPg(pool, schema ? { schema } : undefined), tuning);
  // The listening connection is not pooled: it stays in LISTEN for the life of the process.
  const { max: _max, ...pooledClientConfig } = poolConfig;
  const clientConfig = options.directUrl === undefined ? pooledClientConfig : { ...pooledClientConfig, ...parsedDirect!.poolConfig, options: pooledClientConfig.options };
  const channel = changeChannelName(schema);
  const notifications = closedWithDatabase(
    postgresNotifications({ ...clientConfig, application_name: `charmstore-listen ${channel}` }, channel, {
      initialBackoffMs: tuning.listenReconnectMs,
      maxBackoffMs: tuning.listenReconnectMaxMs,
    }),
  );
  return {
    prisma,
    kind: 'postgres',
    sql: postgresSqlDriver(pool, tuning, notify, { preparedStatements: tuning.preparedStatements }),
    onStatement,
    notifications,
    onPrismaLog,
    poolStats: () => ({ inUse: pool.totalCount - pool.idleCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    ping: async () => {
      await pool.query('SELECT 1');
    },
    close: async () => {
      await notifications.stopAll();
      await prisma.$disconnect();
      await pool.end();
    },
  };
}

/** The server's database: PostgreSQL at `databaseUrl`, else PGlite under `dataDir`; migrated in a child process. */
export function openDatabase(config: { databaseUrl: string | undefined; databaseDirectUrl?: string | undefined; dataDir: string; database?: DatabaseTuning }): Promise<Database> {
  const options = { migrateInChildProcess: true, tuning: config.database, ...(config.databaseDirectUrl ? { directUrl: config.databaseDirectUrl } : {}) };
  return config.databaseUrl
    ? openPostgresDatabase(config.databaseUrl, undefined, options)
    : openPgliteDatabase(path.join(config.dataDir, 'pglite'), options);
}

/** Notifications whose listeners the database stops when it closes. */
function closedWithDatabase(inner: Notifications): Notifications & { stopAll(): Promise<void> } {
  const open = new Set<NotificationSubscription>();
  return {
    channel: inner.channel,
    async listen(handlers) {
      const subscription = await inner.listen(handlers);
      open.add(subscription);
      return {
        backendPid: () => subscription.backendPid(),
        stop: async () => {
          open.delete(subscription);
          await subscription.stop();
        },
      };
    },
    async stopAll() {
      await Promise.all([...open].map((subscription) => subscription.stop()));
      open.clear();
    },
  };
}

async function ensureWritableDirectory(dir: string): Promise<void> {
  try {
    await fs.mkdir(dir, { recursive: true });
    await fs.access(dir, fsConstants.R_OK | fsConstants.W_OK);
  } catch (error) {
    throw new DatabaseStartupError(`The data directory ${dir} is not a readable and writable directory: ${describe(error)}`);
  }
}

/** Whether `dir` holds a PGlite (PostgreSQL) data directory already. */
async function holdsDatabase(dir: string): Promise<boolean> {
  return fs.access(path.join(dir, 'PG_VERSION')).then(
    () => true,
    () => false,
  );
}

function cannotOpenPglite(dir: string | undefined, error: unknown): DatabaseStartupError {
  return new DatabaseStartupError(`Cannot open the embedded database in ${dir ?? 'memory'}: ${describe(error)}`);
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function redact(url: string): string {
  return url.replace(/\/\/([^:/@]+):([^@]*)@/, '//$1:***@');
}
