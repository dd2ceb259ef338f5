// Loads Prisma's WebAssembly schema engine (@prisma/schema-engine-wasm) and
// wraps the few calls we need: applying migrations and diffing.
//
// Why the wasm engine: the Prisma CLI's native schema-engine binary cannot be
// downloaded in every environment, while the wasm engine ships on npm and
// talks to the database through the same driver adapters the app uses
// (PGlite or node-postgres).
//
// Why we instantiate the wasm ourselves: the package's entry point does
// `import * as wasm from "./schema_engine_bg.wasm"`, which Node 20 only
// accepts with --experimental-wasm-modules. Instantiating the .wasm file with
// the generated JS glue (schema_engine_bg.js) as its import object is exactly
// what that entry point does, and works under plain `tsx` and vitest.

import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';

import { bindMigrationAwareSqlAdapterFactory } from '@prisma/driver-adapter-utils';
import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import * as glue from '@prisma/schema-engine-wasm/schema_engine_bg';
import type {
  ApplyMigrationsOutput,
  DiffParams,
  DiffResult,
  MigrationDirectory,
  MigrationList,
  SchemaEngine,
  SchemaFilter,
} from '@prisma/schema-engine-wasm/schema_engine_bg';

export type {
  ApplyMigrationsOutput,
  DiffParams,
  DiffResult,
  DiffTarget,
  MigrationList,
  SchemaFilter,
} from '@prisma/schema-engine-wasm/schema_engine_bg';

/** Name of the lock file Prisma keeps next to the migration folders. */
export const MIGRATION_LOCK_FILE = 'migration_lock.toml';
/** Name of the SQL file inside each migration folder. */
export const MIGRATION_SCRIPT_FILE = 'migration.sql';

/** We do not manage externally owned tables or enums. */
export const NO_SCHEMA_FILTER: SchemaFilter = { externalTables: [], externalEnums: [] };

type WasmGlue = typeof glue;

// The engine reports Rust panics through this global before trapping with a
// bare "RuntimeError: unreachable"; the Prisma CLI installs the same object.
interface PanicRegistry {
  set_message(message: string): void;
}
declare global {
  // eslint-disable-next-line no-var
  var PRISMA_WASM_PANIC_REGISTRY: PanicRegistry | undefined;
}
let lastPanicMessage: string | undefined;

// The glue module (schema_engine_bg.js) holds the instance in a module
// global set by __wbg_set_wasm, and Node loads it once per process even when
// this file is loaded several times (vitest gives each project's global setup
// its own copy of our modules). A second instantiation would replace the
// first one's memory under it, so the promise lives on globalThis.
const GLUE = Symbol.for('charm-store.schema-engine-glue');
const processGlobals = globalThis as { [GLUE]?: Promise<WasmGlue> };

/**
 * Instantiates the wasm module once per process and returns the JS glue whose
 * `SchemaEngine` class is then usable. Concurrent callers share one promise.
 */
export function loadSchemaEngineWasm(): Promise<WasmGlue> {
  processGlobals[GLUE] ??= instantiate().catch((error: unknown) => {
    // Let a later call retry instead of caching the failure forever.
    processGlobals[GLUE] = undefined;
    throw error;
  });
  return processGlobals[GLUE];
}

async function instantiate(): Promise<WasmGlue> {
  globalThis.PRISMA_WASM_PANIC_REGISTRY ??= {
    set_message(message: string) {
      lastPanicMessage = message;
    },
  };
  // The package's "exports" map hides package.json and the .wasm file, but the
  // glue module is exported and the .wasm file sits next to it.
  const require = createRequire(import.meta.url);
  const gluePath = require.resolve('@prisma/schema-engine-wasm/schema_engine_bg');
  const bytes = await readFile(path.join(path.dirname(gluePath), 'schema_engine_bg.wasm'));
  // The wasm module imports every function from the module named
  // "./schema_engine_bg.js", i.e. the glue itself.
  const imports = { './schema_engine_bg.js': glue } as unknown as WebAssembly.Imports;
  const { instance } = await WebAssembly.instantiate(bytes, imports);
  glue.__wbg_set_wasm(instance.exports);
  (instance.exports as { __wbindgen_start: () => void }).__wbindgen_start();
  return glue;
}

/** Options for {@link openSchemaEngine}. */
export interface OpenSchemaEngineOptions {
  /**
   * Receives the engine's tracing output (one JSON object per line). Defaults
   * to discarding it unless SCHEMA_ENGINE_LOG=1 is set, then it goes to stderr.
   */
  log?: (line: string) => void;
}

/**
 * A connected schema engine. Call {@link SchemaEngineSession.close} when done
 * so the Rust side drops its connection handle.
 */
export interface SchemaEngineSession {
  /** Applies every not-yet-applied migration of `migrations`, in order. */
  applyMigrations(migrations: MigrationList): Promise<ApplyMigrationsOutput>;
  /** Computes the difference between two schema sources. */
  diff(params: DiffParams): Promise<DiffResult>;
  /** The database server version, e.g. for diagnostics. */
  version(): Promise<string>;
  close(): void;
}

/**
 * Starts a schema engine connected through `adapterFactory`. The engine
 * calls `connect()` right away, and `connectToShadowDb()` only for commands
 * that need a scratch database (e.g. a diff from a migrations directory).
 */
export async function openSchemaEngine(
  adapterFactory: SqlMigrationAwareDriverAdapterFactory,
  options: OpenSchemaEngineOptions = {},
): Promise<SchemaEngineSession> {
  const { SchemaEngine } = await loadSchemaEngineWasm();
  const log =
    options.log ??
    (process.env.SCHEMA_ENGINE_LOG === '1' ? (line: string) => process.stderr.write(line) : () => {});
  // The engine expects the error-capturing form of the factory: every call
  // returns a Result object instead of throwing across the wasm boundary.
  const bound = bindMigrationAwareSqlAdapterFactory(adapterFactory);
  const engine: SchemaEngine = await call(() => SchemaEngine.new({ datamodels: undefined }, log, bound));
  return {
    applyMigrations: (migrations) =>
      call(() => engine.applyMigrations({ migrationsList: migrations, filters: NO_SCHEMA_FILTER })),
    diff: (params) => call(() => engine.diff(params)),
    version: () => call(() => engine.version()),
    close: () => engine.free(),
  };
}

/** An error reported by the schema engine, with Prisma's error code if any. */
export class SchemaEngineError extends Error {
  constructor(
    message: string,
    readonly errorCode: string | undefined,
    readonly meta: unknown,
  ) {
    super(message);
    this.name = 'SchemaEngineError';
  }
}

// The engine rejects with plain objects ({ message, error_code, meta, ... })
// or, after a Rust panic, with a WebAssembly RuntimeError. Normalise both into
// Error instances so stack traces and `instanceof` work for callers.
async function call<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error: unknown) {
    if (error instanceof WebAssembly.RuntimeError) {
      const panic = lastPanicMessage;
      lastPanicMessage = undefined;
      // A panic leaves the wasm instance in an undefined state; callers should
      // exit the process rather than keep using the engine.
      throw new SchemaEngineError(`Schema engine panicked: ${panic ?? error.message}`, undefined, undefined);
    }
    if (error instanceof Error) throw error;
    if (typeof error === 'object' && error !== null && 'message' in error) {
      const { message, error_code: code, meta } = error as { message: unknown; error_code?: unknown; meta?: unknown };
      throw new SchemaEngineError(String(message), typeof code === 'string' ? code : undefined, meta);
    }
    throw new SchemaEngineError(String(error), undefined, undefined);
  }
}

/**
 * Reads a Prisma migrations directory into the engine's input format, the
 * same way the Prisma CLI does: every sub-directory is a migration (sorted by
 * name, which starts with a UTC timestamp) holding a migration.sql file, plus
 * an optional migration_lock.toml. A missing directory means no migrations.
 */
export async function readMigrationsDirectory(migrationsDir: string): Promise<MigrationList> {
  const baseDir = path.resolve(migrationsDir);
  const lockContent = await readFile(path.join(baseDir, MIGRATION_LOCK_FILE), 'utf8').catch(() => null);
  const entries = await readdir(baseDir, { withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [];
    throw error;
  });
  const migrationDirectories: MigrationDirectory[] = [];
  for (const entry of entries.filter((e) => e.isDirectory())) {
    const scriptPath = path.join(baseDir, entry.name, MIGRATION_SCRIPT_FILE);
    // A folder without a readable script is passed on as an error value, and
    // the engine then fails with Prisma's usual message for it.
    const content = await readFile(scriptPath, 'utf8').then(
      (value) => ({ tag: 'ok' as const, value }),
      (error: Error) => ({ tag: 'error' as const, value: error.message }),
    );
    migrationDirectories.push({ path: entry.name, migrationFile: { path: MIGRATION_SCRIPT_FILE, content } });
  }
  migrationDirectories.sort((a, b) => a.path.localeCompare(b.path));
  return {
    baseDir,
    lockfile: { path: MIGRATION_LOCK_FILE, content: lockContent },
    shadowDbInitScript: '',
    migrationDirectories,
  };
}
