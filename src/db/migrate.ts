// Applies the SQL migrations in prisma/migrations/ with Prisma's wasm schema
// engine, i.e. what `prisma migrate deploy` does: the engine records every
// migration in the `_prisma_migrations` table (sha256 checksum, started_at,
// finished_at, ...), so the Prisma CLI sees the same history.
//
// Facts about the engine and adapters this module relies on (checked by
// logging every SQL call the engine makes):
// - The engine runs `SELECT pg_advisory_lock(72707369)` (the same lock as the
//   Prisma CLI) before reading `_prisma_migrations`, and never unlocks: the
//   lock lives until the database session ends.
// - When the adapter reports a schema (PrismaPg's `schema` option), the engine
//   creates that schema if missing and introspects it, but it creates
//   `_prisma_migrations` and runs the migration scripts unqualified, so the
//   connection's search_path must point at the same schema.
// - Each migration script goes through the adapter's `executeScript`.
//   PrismaPg's version splits the script on every ";" (breaking semicolons in
//   string literals or function bodies) and runs the pieces on arbitrary pool
//   connections; pglite-prisma-adapter's version does not await the query, so
//   a failing migration is recorded as applied and its error escapes as an
//   unhandled rejection. We replace both with a single simple-protocol query,
//   like the native engine's raw command.

import { createHash } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import type { PGlite } from '@electric-sql/pglite';
import type { PrismaPg } from '@prisma/adapter-pg';
import { DriverAdapterError } from '@prisma/driver-adapter-utils';
import type { SqlDriverAdapter, SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import type pg from 'pg';

import { loadPg } from './pg-module.js';
import { openSchemaEngine, readMigrationsDirectory } from './schema-engine.js';

/** prisma/migrations of this repository, independent of the working directory. */
export const DEFAULT_MIGRATIONS_DIR = fileURLToPath(new URL('../../prisma/migrations', import.meta.url));

/** The advisory lock key Prisma Migrate uses on PostgreSQL. */
export const PRISMA_MIGRATE_LOCK_KEY = 72707369;

export interface ApplyMigrationsOptions {
  /** Directory holding `<timestamp>_<name>/migration.sql` folders. */
  migrationsDir?: string;
  /** Receives the schema engine's JSON log lines. */
  log?: (line: string) => void;
}

export interface ApplyMigrationsResult {
  /** Names of the migrations applied by this call, oldest first. */
  applied: string[];
}

// Two migration runs in one process must not overlap: on a single
// connection (PGlite) the engine's advisory lock is re-entrant and would not
// keep them apart, and the engine's wasm instance is one per process (see
// loadSchemaEngineWasm). Each run waits for the previous one; the queue lives
// on globalThis because this module may be loaded more than once per process.
const PREVIOUS_RUN = Symbol.for('charm-store.migration-run');
const processGlobals = globalThis as { [PREVIOUS_RUN]?: Promise<unknown> };

function serialized<T>(run: () => Promise<T>): Promise<T> {
  const result = (processGlobals[PREVIOUS_RUN] ?? Promise.resolve()).then(run);
  processGlobals[PREVIOUS_RUN] = result.catch(() => undefined);
  return result;
}

/**
 * Applies every migration of `migrationsDir` not yet recorded in the
 * database's `_prisma_migrations` table. Idempotent: a second call applies
 * nothing.
 *
 * The factory should give the engine one database session (PGlite, or a
 * node-postgres pool with `max: 1`): the engine's advisory lock is a session
 * lock, so on a bigger pool it could sit on an idle pooled connection. Prefer
 * {@link migratePglite} and {@link migratePostgres}, which set this up.
 * Adapters the engine opens are disposed before returning.
 */
export function applyMigrations(
  adapterFactory: SqlMigrationAwareDriverAdapterFactory,
  options: ApplyMigrationsOptions = {},
): Promise<ApplyMigrationsResult> {
  return serialized(() => applyMigrationsNow(adapterFactory, options));
}

async function applyMigrationsNow(
  adapterFactory: SqlMigrationAwareDriverAdapterFactory,
  options: ApplyMigrationsOptions,
): Promise<ApplyMigrationsResult> {
  const migrations = await readMigrationsDirectory(options.migrationsDir ?? DEFAULT_MIGRATIONS_DIR);
  // The engine connects but never disposes its adapter (it cannot await in its
  // destructor), so remember what it opened and dispose it ourselves.
  const opened: SqlDriverAdapter[] = [];
  const tracked: SqlMigrationAwareDriverAdapterFactory = {
    provider: adapterFactory.provider,
    adapterName: adapterFactory.adapterName,
    connect: async () => {
      const adapter = await adapterFactory.connect();
      opened.push(adapter);
      return adapter;
    },
    connectToShadowDb: () => adapterFactory.connectToShadowDb(),
  };
  try {
    const engine = await openSchemaEngine(tracked, { log: options.log });
    try {
      const { appliedMigrationNames } = await engine.applyMigrations(migrations);
      return { applied: appliedMigrationNames };
    } finally {
      engine.close();
    }
  } finally {
    for (const adapter of opened) await adapter.dispose();
  }
}

/**
 * Applies the migrations to a PGlite database (in memory or on disk). The
 * caller keeps ownership of `pglite` and closes it.
 */
export function migratePglite(pglite: PGlite, options: ApplyMigrationsOptions = {}): Promise<ApplyMigrationsResult> {
  return applyMigrations(pgliteMigrationAdapterFactory(pglite), options);
}

/**
 * A driver adapter factory over `pglite` fit for the schema engine: migration
 * scripts run as one awaited `exec`, and the shadow database (only needed by
 * `diff` from a migrations directory) is a fresh in-memory PGlite from
 * `createShadow`, closed when the engine disposes it.
 */
export function pgliteMigrationAdapterFactory(
  pglite: PGlite,
  createShadow?: () => Promise<PGlite>,
): SqlMigrationAwareDriverAdapterFactory {
  const connectTo = async (db: PGlite, onDispose?: () => Promise<void>): Promise<SqlDriverAdapter> => {
    // Imported on use: a server on PostgreSQL never loads PGlite (see database.ts).
    const { PrismaPGlite } = await import('pglite-prisma-adapter');
    const adapter = await new PrismaPGlite(db).connect();
    adapter.executeScript = async (script: string) => {
      try {
        await db.exec(script);
      } catch (error: unknown) {
        throw toDriverAdapterError(error);
      }
    };
    if (onDispose) {
      const dispose = adapter.dispose.bind(adapter);
      adapter.dispose = async () => {
        await dispose();
        await onDispose();
      };
    }
    return adapter;
  };
  return {
    provider: 'postgres',
    adapterName: 'pglite-prisma-adapter',
    connect: () => connectTo(pglite),
    connectToShadowDb: async () => {
      if (!createShadow) throw new Error('This PGlite adapter factory has no shadow database');
      const shadow = await createShadow();
      return connectTo(shadow, () => shadow.close());
    },
  };
}

export interface MigratePostgresOptions extends ApplyMigrationsOptions {
  /**
   * PostgreSQL schema to migrate (created if missing). Defaults to the url's
   * `?schema=` parameter, else the server's search_path (normally "public").
   */
  schema?: string;
}

/**
 * Applies the migrations to PostgreSQL at `url` over one short-lived
 * connection, closed before returning. The schema that receives the tables
 * and `_prisma_migrations` is `schema` (a name, or `options.schema`), else the
 * url's `?schema=name` (Prisma's convention); it is created if missing. Safe
 * when several processes start at once: all but one wait on Prisma's advisory
 * lock, then find nothing left to apply.
 */
export function migratePostgres(
  url: string,
  schemaOrOptions: string | MigratePostgresOptions = {},
): Promise<ApplyMigrationsResult> {
  const options: MigratePostgresOptions =
    typeof schemaOrOptions === 'string' ? { schema: schemaOrOptions } : schemaOrOptions;
  const target = parsePostgresUrl(url);
  const schema = options.schema ?? target.schema;
  if (schema !== undefined) assertSchemaName(schema);
  // Queue before taking the advisory lock, so that we never hold it while
  // waiting for another run of this process that may need it.
  return serialized(() => migratePostgresNow(target, schema, options));
}

async function migratePostgresNow(
  target: ParsedPostgresUrl,
  schema: string | undefined,
  options: ApplyMigrationsOptions,
): Promise<ApplyMigrationsResult> {
  // One connection so that the advisory lock, the search_path and every
  // statement of the engine share a session; no idle timeout so the session
  // (and with it the lock) cannot end halfway.
  const { PrismaPg: PrismaPgAdapter } = await import('@prisma/adapter-pg');
  const pool = new (loadPg().Pool)({
    ...target.poolConfig,
    ...(schema === undefined ? {} : { options: joinOptions(target.poolConfig.options, searchPathOption(schema)) }),
    max: 1,
    idleTimeoutMillis: 0,
    // Fail rather than hang on an unreachable server. (Waiting for another
    // process's advisory lock is not bounded: a long migration elsewhere is
    // worth waiting for.)
    connectionTimeoutMillis: 10_000,
  });
  // An idle connection dropped by the server must reject our queries, not
  // crash the process with an unhandled 'error' event.
  pool.on('error', () => {});
  try {
    // Take Prisma's lock before the engine starts: the engine creates a
    // missing schema while connecting, before taking the lock itself, and two
    // processes doing that at once would collide. Advisory locks nest within a
    // session, so the engine's own lock call then succeeds at once.
    await pool.query('SELECT pg_advisory_lock($1)', [PRISMA_MIGRATE_LOCK_KEY]);
    if (schema !== undefined) await pool.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(schema)}`);
    return await applyMigrationsNow(postgresMigrationAdapterFactory(PrismaPgAdapter, pool, schema), options);
  } finally {
    // Ending the session releases the advisory locks (ours and the engine's).
    await pool.end();
  }
}

/**
 * A PrismaPg factory over `pool` fit for the schema engine: migration
 * scripts run as one simple-protocol query (one implicit transaction, like
 * the native engine) on the pool. It has no shadow database.
 */
function postgresMigrationAdapterFactory(PrismaPgAdapter: typeof PrismaPg, pool: pg.Pool, schema?: string): SqlMigrationAwareDriverAdapterFactory {
  const base = new PrismaPgAdapter(pool, schema === undefined ? undefined : { schema });
  return {
    provider: base.provider,
    adapterName: base.adapterName,
    connect: async () => {
      const adapter = await base.connect();
      adapter.executeScript = async (script: string) => {
        try {
          await pool.query(script);
        } catch (error: unknown) {
          throw toDriverAdapterError(error);
        }
      };
      return adapter;
    },
    connectToShadowDb: () => Promise.reject(new Error('Migrations against PostgreSQL do not use a shadow database')),
  };
}

export interface ParsedPostgresUrl {
  /** Options for `new pg.Pool(...)`: the url without Prisma-only parameters. */
  poolConfig: pg.PoolConfig & { connectionString: string };
  /** The `?schema=` parameter, if any. */
  schema: string | undefined;
}

/**
 * Splits Prisma's `?schema=` parameter off a PostgreSQL url (node-postgres
 * ignores it), validating the name since it ends up in SQL and in the
 * connection's startup options.
 */
export function parsePostgresUrl(url: string): ParsedPostgresUrl {
  const parsed = new URL(url);
  const schema = parsed.searchParams.get('schema') ?? undefined;
  parsed.searchParams.delete('schema');
  // node-postgres lets an `options` url parameter override the config's, so
  // move it into the config where migratePostgres can extend it.
  const options = parsed.searchParams.get('options') ?? undefined;
  parsed.searchParams.delete('options');
  if (schema !== undefined) assertSchemaName(schema);
  return {
    poolConfig: { connectionString: parsed.toString(), ...(options === undefined ? {} : { options }) },
    schema,
  };
}

/** The libpq startup option that makes `schema` the connection's search_path. */
export function searchPathOption(schema: string): string {
  assertSchemaName(schema);
  return `-c search_path=${quoteIdentifier(schema)}`;
}

function joinOptions(existing: string | undefined, extra: string): string {
  return existing ? `${existing} ${extra}` : extra;
}

// Plain identifiers only: they need no escaping inside startup options, where
// spaces and backslashes are significant.
function assertSchemaName(schema: string): void {
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(schema)) {
    throw new Error(`Invalid PostgreSQL schema name ${JSON.stringify(schema)}: use letters, digits and _`);
  }
}

function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

// Both node-postgres and PGlite raise errors carrying PostgreSQL's fields;
// the engine expects them as DriverAdapterError so it can report and record
// the failure (the `logs` column of `_prisma_migrations`).
function toDriverAdapterError(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const fields = error as Error & { code?: unknown; severity?: unknown; detail?: unknown; column?: unknown; hint?: unknown };
  if (typeof fields.code !== 'string') return error;
  return new DriverAdapterError({
    kind: 'postgres',
    code: fields.code,
    severity: typeof fields.severity === 'string' ? fields.severity : 'ERROR',
    message: error.message,
    detail: typeof fields.detail === 'string' ? fields.detail : undefined,
    column: typeof fields.column === 'string' ? fields.column : undefined,
    hint: typeof fields.hint === 'string' ? fields.hint : undefined,
    originalCode: fields.code,
    originalMessage: error.message,
  });
}

/**
 * True when every migration in the directory is recorded in
 * `_prisma_migrations` as finished, with the checksum of its script as it
 * is now, and nothing is half-applied: then a server starting up has
 * nothing to migrate and skips the migration child (1-2 s of start-up).
 * Anything else (no table yet, a new or edited migration, a failed one)
 * answers false, and the migrations run as usual, where the schema engine
 * decides and reports. Reads with one statement on `query`'s connection.
 */
export async function migrationsAreApplied(
  query: (sql: string) => Promise<Array<{ migration_name: string; checksum: string; finished: boolean; rolled_back: boolean }>>,
  migrationsDir = DEFAULT_MIGRATIONS_DIR,
): Promise<boolean> {
  const list = await readMigrationsDirectory(migrationsDir);
  let rows;
  try {
    rows = await query(
      'SELECT migration_name, checksum, finished_at IS NOT NULL AS finished, rolled_back_at IS NOT NULL AS rolled_back FROM "_prisma_migrations"',
    );
  } catch {
    return false;
  }
  if (rows.some((row) => !row.finished && !row.rolled_back)) return false;
  const applied = new Map(rows.filter((row) => row.finished && !row.rolled_back).map((row) => [row.migration_name, row.checksum]));
  return list.migrationDirectories.every((migration) => {
    const script = migration.migrationFile.content;
    return script.tag === 'ok' && applied.get(migration.path) === createHash('sha256').update(script.value).digest('hex');
  });
}
