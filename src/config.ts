import path from 'node:path';
import { z } from 'zod';
import type { ArchiveLimits } from './domain/archive.js';

/**
 * Every setting of the store comes from the environment and is checked here,
 * once, at start-up. A bad value stops the process with a message naming the
 * variable, rather than failing later in the middle of a request.
 */
const optionalString = z
  .string()
  .trim()
  .transform((value) => (value === '' ? undefined : value))
  .optional();

const MIB = 1024 * 1024;

/** Bounds on the work one write does under its entity's lock (see docs/api.md, "Writes"). */
export const DEFAULT_WRITE_LIMITS = {
  /** metadata.yaml of a pushed charm. */
  maxMetadataBytes: 64 * 1024,
  /** Resources one charm may declare. */
  maxDeclaredResources: 100,
  /** Channels one release or closeChannels may name. */
  maxChannelsPerChange: 50,
};

/** Most instances one `refresh` may ask about (Juju refreshes a model's applications in one call). */
export const DEFAULT_MAX_REFRESH_INSTANCES = 500;

/**
 * The database connections and transactions, sized together:
 * - writers to one entity wait in an in-process queue, not in the pool, so
 *   a process holds at most one connection per entity being written (plus
 *   short reads): `poolSize` bounds the entities written at once;
 * - `connectionWaitMs` is how long a request waits for a connection: both
 *   pg's pool `connectionTimeoutMillis` and Prisma's transaction `maxWait`
 *   (on PGlite, the wait for its single connection);
 * - `transactionTimeoutMs` bounds one transaction, including the wait for
 *   the entity's row lock held by another process; the limits above keep
 *   each write's own work far below it.
 */
export const DEFAULT_DATABASE_TUNING = {
  poolSize: 10,
  connectionWaitMs: 30_000,
  transactionTimeoutMs: 60_000,
  /** Live updates: the first wait before the LISTEN connection reconnects; doubles up to listenReconnectMaxMs. */
  listenReconnectMs: 100,
  listenReconnectMaxMs: 5_000,
  /**
   * Recurring hand-written statements are sent as named prepared statements (src/db/statement-names.ts). Unset, on
   * unless STORE_DATABASE_DIRECT_URL is set (DATABASE_URL then goes through a transaction pooler, which may not keep
   * them: PgBouncer keeps them from 1.21 on, with `max_prepared_statements`).
   */
  preparedStatements: true,
};

/** Live updates and webhooks (docs/live.md). */
export const DEFAULT_LIVE_CONFIG = {
  authRecheckSeconds: 30,
  webhookAllowPrivate: false,
  webhookRetryBaseMs: 10_000,
  webhookRetryForSeconds: 24 * 3600,
  webhookTimeoutMs: 10_000,
  webhookPollMs: 2_000,
};

/**
 * The write pipeline: a transaction PostgreSQL rolled back for a deadlock (40P01) or serialization failure (40001)
 * runs again (`retries`, `retryBaseDelayMs`); the writers of one entity that queued behind its open transaction share
 * the next one, at most `batchMax` of them (group commit, pipeline/entity-batch.ts; 1: each writer alone).
 */
export const DEFAULT_WRITES = { retries: 5, retryBaseDelayMs: 25, batchMax: 16 };

export type DatabaseTuning = typeof DEFAULT_DATABASE_TUNING;

/**
 * A whole number from `min` to `max`. Every way of failing gives the same
 * message, the accepted range, rather than zod's "expected number, received
 * NaN"; loadConfig puts the value given in front of it.
 */
const wholeNumber = (fallback: number, min: number, max?: number, why = '') => {
  const expected = `expected a whole number ${max === undefined ? `of at least ${min}` : `from ${min} to ${max}`}${why}`;
  const schema = z.coerce.number({ error: expected }).int({ error: expected }).min(min, { error: expected });
  return (max === undefined ? schema : schema.max(max, { error: expected })).default(fallback);
};

const SCRYPT_COST_EXPECTED = 'expected a power of two from 1024 (2^10) to 1073741824 (2^30), such as 32768';

const positiveInt = (fallback: number) => wholeNumber(fallback, 1);
/** An on/off setting: exactly `true` or `false`, as the settings table documents. */
const booleanSetting = (fallback: boolean) =>
  z
    .enum(['true', 'false'], { error: 'expected true or false' })
    .default(fallback ? 'true' : 'false')
    .transform((value) => value === 'true');

// Sizes are reported through GraphQL's 32-bit Int (the contract's `size: Int!`), so no stored file may be larger.
const MAX_REPORTABLE_SIZE = 2 ** 31 - 1;
const byteLimit = (fallback: number) => wholeNumber(fallback, 1, MAX_REPORTABLE_SIZE, ' (bytes; sizes are reported as GraphQL Int)');

const environmentSchema = z
  .object({
    HOST: z.string().trim().min(1).default('127.0.0.1'),
    PORT: wholeNumber(4000, 0, 65535, ' (0 picks a free port)'),
    DATABASE_URL: optionalString.pipe(
      z
        .string()
        .regex(/^postgres(ql)?:\/\//, 'must be a postgresql:// url')
        .optional(),
    ),
    STORE_DATABASE_DIRECT_URL: optionalString.pipe(
      z
        .string()
        .regex(/^postgres(ql)?:\/\//, 'must be a postgresql:// url')
        .optional(),
    ),
    STORE_DATA_DIR: z.string().trim().min(1).default('./data'),
    STORE_PGLITE_OPTIMIZED_WASM: booleanSetting(false),
    STORE_BLOB_DIR: optionalString,
    STORE_BLOB_BACKEND: z.enum(['file', 's3'], { error: 'expected file or s3' }).default('file'),
    STORE_S3_BUCKET: optionalString,
    STORE_S3_PREFIX: optionalString.pipe(
      z
        .string()
        .regex(/^[A-Za-z0-9!_.*'()/-]*$/, 'use letters, digits and !_.*\'()/- only')
        .optional(),
    ),
    STORE_S3_ENDPOINT: optionalString.pipe(z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// url' }).optional()),
    STORE_S3_REGION: optionalString,
    STORE_S3_FORCE_PATH_STYLE: booleanSetting(false),
    STORE_S3_PRESIGN_SECONDS: wholeNumber(0, 0, 7 * 24 * 3600, ' (0 serves downloads through the store; S3 signatures last 7 days at most)'),
    STORE_S3_PART_MIB: wholeNumber(5, 5, 512, ' (S3 parts are at least 5 MiB)'),
    STORE_S3_UPLOAD_QUEUE: wholeNumber(2, 1, 16),
    STORE_ADMIN_USERNAME: optionalString,
    STORE_ADMIN_PASSWORD: optionalString,
    STORE_METRICS_TOKEN: optionalString,
    OTEL_EXPORTER_OTLP_ENDPOINT: optionalString,
    STORE_TOKEN_TTL_SECONDS: positiveInt(30 * 24 * 60 * 60),
    STORE_BRANCH_TTL_SECONDS: positiveInt(30 * 24 * 60 * 60),
    STORE_TOKEN_MAX_TTL_SECONDS: positiveInt(365 * 24 * 60 * 60),
    STORE_SCRYPT_COST: z.coerce
      .number({ error: SCRYPT_COST_EXPECTED })
      .refine((n) => Number.isInteger(n) && n >= 2 ** 10 && n <= 2 ** 30 && (n & (n - 1)) === 0, { error: SCRYPT_COST_EXPECTED })
      // OWASP's minimum for scrypt: N=2^17, r=8, p=1 (128 MiB per hash).
      .default(2 ** 17),
    STORE_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    STORE_MAX_QUERY_DEPTH: positiveInt(12),
    STORE_MAX_QUERY_COST: positiveInt(20000),
    STORE_SHUTDOWN_TIMEOUT_MS: positiveInt(10000),
    STORE_MAX_ARCHIVE_BYTES: byteLimit(512 * MIB),
    STORE_MAX_ARCHIVE_ENTRIES: positiveInt(10000),
    STORE_MAX_ARCHIVE_ENTRY_BYTES: positiveInt(512 * MIB),
    STORE_MAX_ARCHIVE_UNCOMPRESSED_BYTES: positiveInt(1024 * MIB),
    STORE_MAX_UPLOAD_BYTES: byteLimit(MAX_REPORTABLE_SIZE),
    STORE_MAX_MULTIPART_BYTES: positiveInt(64 * MIB),
    STORE_UPLOAD_TTL_SECONDS: positiveInt(24 * 60 * 60),
    STORE_BLOB_GC_GRACE_SECONDS: positiveInt(60 * 60),
    STORE_MAX_METADATA_BYTES: positiveInt(DEFAULT_WRITE_LIMITS.maxMetadataBytes),
    STORE_MAX_DECLARED_RESOURCES: positiveInt(DEFAULT_WRITE_LIMITS.maxDeclaredResources),
    STORE_MAX_CHANNELS_PER_CHANGE: positiveInt(DEFAULT_WRITE_LIMITS.maxChannelsPerChange),
    STORE_MAX_REFRESH_INSTANCES: positiveInt(DEFAULT_MAX_REFRESH_INSTANCES),
    STORE_DB_POOL_SIZE: positiveInt(DEFAULT_DATABASE_TUNING.poolSize),
    STORE_DB_CONNECTION_WAIT_MS: positiveInt(DEFAULT_DATABASE_TUNING.connectionWaitMs),
    STORE_DB_TRANSACTION_TIMEOUT_MS: positiveInt(DEFAULT_DATABASE_TUNING.transactionTimeoutMs),
    STORE_DB_PREPARED_STATEMENTS: z.enum(['true', 'false'], { error: 'expected true or false' }).optional(),
    STORE_DOWNLOAD_STATS_FLUSH_SECONDS: positiveInt(60),
    STORE_WRITE_RETRIES: wholeNumber(DEFAULT_WRITES.retries, 0, 20),
    STORE_WRITE_RETRY_BASE_MS: positiveInt(DEFAULT_WRITES.retryBaseDelayMs),
    STORE_WRITE_BATCH_MAX: wholeNumber(DEFAULT_WRITES.batchMax, 1, 64),
    STORE_TRUST_PROXY: booleanSetting(false),
    STORE_READ_CACHE: booleanSetting(true),
    STORE_READ_CACHE_MAX_MB: positiveInt(64),
    STORE_CORS_ORIGINS: z
      .string()
      .default('')
      .transform((value) => value.split(',').map((origin) => origin.trim()).filter((origin) => origin !== ''))
      .pipe(z.array(z.string().refine(isOrigin, 'must be a comma-separated list of origins such as https://dashboard.example.com (scheme, host and port only)'))),
    STORE_LIVE_RECONNECT_MS: positiveInt(DEFAULT_DATABASE_TUNING.listenReconnectMs),
    STORE_LIVE_RECONNECT_MAX_MS: positiveInt(DEFAULT_DATABASE_TUNING.listenReconnectMaxMs),
    STORE_LIVE_AUTH_RECHECK_SECONDS: positiveInt(DEFAULT_LIVE_CONFIG.authRecheckSeconds),
    STORE_WEBHOOK_ALLOW_PRIVATE: booleanSetting(false),
    STORE_WEBHOOK_RETRY_BASE_MS: positiveInt(DEFAULT_LIVE_CONFIG.webhookRetryBaseMs),
    STORE_WEBHOOK_RETRY_FOR_SECONDS: positiveInt(DEFAULT_LIVE_CONFIG.webhookRetryForSeconds),
    STORE_WEBHOOK_TIMEOUT_MS: positiveInt(DEFAULT_LIVE_CONFIG.webhookTimeoutMs),
    STORE_WEBHOOK_POLL_MS: positiveInt(DEFAULT_LIVE_CONFIG.webhookPollMs),
  })
  .superRefine((env, ctx) => {
    if ((env.STORE_ADMIN_USERNAME === undefined) !== (env.STORE_ADMIN_PASSWORD === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: [env.STORE_ADMIN_USERNAME === undefined ? 'STORE_ADMIN_USERNAME' : 'STORE_ADMIN_PASSWORD'],
        message: 'STORE_ADMIN_USERNAME and STORE_ADMIN_PASSWORD must be set together',
      });
    }
    if (env.STORE_BLOB_BACKEND === 's3' && env.STORE_S3_BUCKET === undefined) {
      ctx.addIssue({ code: 'custom', path: ['STORE_S3_BUCKET'], message: 'required when STORE_BLOB_BACKEND=s3' });
    }
  });

/** "https://host[:port]" exactly as a browser sends it in the Origin header: no path, no trailing slash. */
function isOrigin(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.origin === value;
  } catch {
    return false;
  }
}

export interface StoreConfig {
  host: string;
  port: number;
  /** A PostgreSQL server; undefined means the embedded PGlite database. */
  databaseUrl: string | undefined;
  /** The same database without a transaction pooler (PgBouncer) in between, for migrations and LISTEN; undefined: `databaseUrl`. */
  databaseDirectUrl: string | undefined;
  dataDir: string;
  /**
   * Embedded database only: let V8 recompile PGlite's busy WebAssembly functions with its optimising
   * compiler (faster long queries, ~40-90 MiB more resident memory; src/db/pglite-options.ts).
   */
  pgliteOptimizedWasm: boolean;
  /** The filesystem blob store's directory (STORE_BLOB_BACKEND=file). */
  blobDir: string;
  /** Set when blobs live in an S3-compatible bucket instead of `blobDir`. */
  s3: S3Settings | undefined;
  admin: { username: string; password: string } | undefined;
  /** When set, GET /metrics asks for it as a bearer token; unset, /metrics is public. */
  metricsToken: string | undefined;
  /** An OTLP endpoint: when set, requests are traced with OpenTelemetry. */
  otlpEndpoint: string | undefined;
  tokenTtlSeconds: number;
  /** A branch with no release for this long is closed. */
  branchTtlSeconds: number;
  maxTokenTtlSeconds: number;
  scryptCost: number;
  logLevel: z.infer<typeof environmentSchema>['STORE_LOG_LEVEL'];
  maxQueryDepth: number;
  maxQueryCost: number;
  shutdownTimeoutMs: number;
  archiveLimits: ArchiveLimits;
  /** Largest body `POST /uploads` accepts. */
  maxUploadBytes: number;
  /** Largest file in a multipart GraphQL request (Yoga holds those in memory); the body may be 1 MiB more. */
  maxMultipartBytes: number;
  uploadTtlSeconds: number;
  /** Unreferenced blobs younger than this are left for a later collection (saves work; safety comes from blob locks, see collect-garbage.ts). */
  blobGcGraceSeconds: number;
  /** How often in-memory download counts are added to the database (and at shutdown). */
  downloadStatsFlushSeconds: number;
  maxChannelsPerChange: number;
  maxRefreshInstances: number;
  database: DatabaseTuning;
  writes: { retries: number; retryBaseDelayMs: number; batchMax: number };
  /** Browser origins allowed to call the store cross-origin with credentials; empty = same origin only. */
  corsOrigins: string[];
  /** Behind a reverse proxy: the client address is the last X-Forwarded-For entry. */
  trustProxy: boolean;
  /** Whole answers to queries kept while nothing they show changed (src/http/read-cache.ts); null when off. */
  readCache: { maxBytes: number } | null;
  live: LiveConfig;
}

export interface LiveConfig {
  /** How often an idle subscription checks its token again. */
  authRecheckSeconds: number;
  /** Webhook targets may be private or loopback addresses (air-gapped networks); link-local and metadata addresses stay refused. */
  webhookAllowPrivate: boolean;
  /** The first retry of a failed delivery waits this long; each further one doubles. */
  webhookRetryBaseMs: number;
  /** A delivery is retried for this long after the change, then marked FAILED. */
  webhookRetryForSeconds: number;
  /** One delivery attempt's time limit. */
  webhookTimeoutMs: number;
  /** How often each process looks for due deliveries (new ones are also sent at once). */
  webhookPollMs: number;
}

/** The S3 blob backend (src/blobs/s3-blob-store.ts); credentials come from the AWS SDK's usual chain (AWS_ACCESS_KEY_ID, AWS_PROFILE, ...). */
export interface S3Settings {
  bucket: string;
  /** Prepended to every key ("" or ending in "/"), so several stores can share a bucket. */
  prefix: string;
  /** For MinIO, Ceph RGW and other S3-compatible servers; undefined means AWS. */
  endpoint: string | undefined;
  /** undefined lets the SDK read AWS_REGION and the profile (us-east-1 when nothing says). */
  region: string | undefined;
  /** bucket in the path (http://host/bucket/key) rather than the host name: MinIO and Ceph usually need it. */
  forcePathStyle: boolean;
  /** Downloads redirect to a presigned URL valid this long; 0 streams them through the store. */
  presignSeconds: number;
  /** Multipart upload part size, in bytes: what one part holds in memory. */
  partBytes: number;
  /** Parts of one upload sent at once; memory per upload is about (queueSize + 2) x partBytes. */
  queueSize: number;
}

export class ConfigError extends Error {}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): StoreConfig {
  const parsed = environmentSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const name = issue.path.join('.');
      if (!name) return `environment: ${issue.message}`;
      const given = env[name];
      return `${name}=${given === undefined ? '(not set)' : JSON.stringify(given)}: ${issue.message}`;
    });
    throw new ConfigError(`Invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  const e = parsed.data;
  const dataDir = path.resolve(e.STORE_DATA_DIR);
  return {
    host: e.HOST,
    port: e.PORT,
    databaseUrl: e.DATABASE_URL,
    databaseDirectUrl: e.STORE_DATABASE_DIRECT_URL,
    dataDir,
    blobDir: path.resolve(e.STORE_BLOB_DIR ?? path.join(dataDir, 'blobs')),
    s3:
      e.STORE_BLOB_BACKEND === 's3' && e.STORE_S3_BUCKET
        ? {
            bucket: e.STORE_S3_BUCKET,
            prefix: e.STORE_S3_PREFIX === undefined ? '' : e.STORE_S3_PREFIX.replace(/\/*$/, '/').replace(/^\/+/, ''),
            endpoint: e.STORE_S3_ENDPOINT,
            region: e.STORE_S3_REGION,
            forcePathStyle: e.STORE_S3_FORCE_PATH_STYLE,
            presignSeconds: e.STORE_S3_PRESIGN_SECONDS,
            partBytes: e.STORE_S3_PART_MIB * 1024 * 1024,
            queueSize: e.STORE_S3_UPLOAD_QUEUE,
          }
        : undefined,
    metricsToken: e.STORE_METRICS_TOKEN,
    otlpEndpoint: e.OTEL_EXPORTER_OTLP_ENDPOINT,
    admin:
      e.STORE_ADMIN_USERNAME && e.STORE_ADMIN_PASSWORD
        ? { username: e.STORE_ADMIN_USERNAME, password: e.STORE_ADMIN_PASSWORD }
        : undefined,
    tokenTtlSeconds: e.STORE_TOKEN_TTL_SECONDS,
    branchTtlSeconds: e.STORE_BRANCH_TTL_SECONDS,
    maxTokenTtlSeconds: e.STORE_TOKEN_MAX_TTL_SECONDS,
    scryptCost: e.STORE_SCRYPT_COST,
    logLevel: e.STORE_LOG_LEVEL,
    pgliteOptimizedWasm: e.STORE_PGLITE_OPTIMIZED_WASM,
    maxQueryDepth: e.STORE_MAX_QUERY_DEPTH,
    maxQueryCost: e.STORE_MAX_QUERY_COST,
    shutdownTimeoutMs: e.STORE_SHUTDOWN_TIMEOUT_MS,
    archiveLimits: {
      maxArchiveBytes: e.STORE_MAX_ARCHIVE_BYTES,
      maxEntries: e.STORE_MAX_ARCHIVE_ENTRIES,
      maxEntryBytes: e.STORE_MAX_ARCHIVE_ENTRY_BYTES,
      maxUncompressedBytes: e.STORE_MAX_ARCHIVE_UNCOMPRESSED_BYTES,
      maxMetadataBytes: e.STORE_MAX_METADATA_BYTES,
      maxDeclaredResources: e.STORE_MAX_DECLARED_RESOURCES,
    },
    maxUploadBytes: e.STORE_MAX_UPLOAD_BYTES,
    maxMultipartBytes: e.STORE_MAX_MULTIPART_BYTES,
    uploadTtlSeconds: e.STORE_UPLOAD_TTL_SECONDS,
    blobGcGraceSeconds: e.STORE_BLOB_GC_GRACE_SECONDS,
    downloadStatsFlushSeconds: e.STORE_DOWNLOAD_STATS_FLUSH_SECONDS,
    maxChannelsPerChange: e.STORE_MAX_CHANNELS_PER_CHANGE,
    maxRefreshInstances: e.STORE_MAX_REFRESH_INSTANCES,
    database: {
      poolSize: e.STORE_DB_POOL_SIZE,
      connectionWaitMs: e.STORE_DB_CONNECTION_WAIT_MS,
      transactionTimeoutMs: e.STORE_DB_TRANSACTION_TIMEOUT_MS,
      preparedStatements: e.STORE_DB_PREPARED_STATEMENTS === undefined ? !e.STORE_DATABASE_DIRECT_URL : e.STORE_DB_PREPARED_STATEMENTS === 'true',
      listenReconnectMs: e.STORE_LIVE_RECONNECT_MS,
      listenReconnectMaxMs: e.STORE_LIVE_RECONNECT_MAX_MS,
    },
    writes: { retries: e.STORE_WRITE_RETRIES, retryBaseDelayMs: e.STORE_WRITE_RETRY_BASE_MS, batchMax: e.STORE_WRITE_BATCH_MAX },
    corsOrigins: e.STORE_CORS_ORIGINS,
    trustProxy: e.STORE_TRUST_PROXY,
    readCache: e.STORE_READ_CACHE ? { maxBytes: e.STORE_READ_CACHE_MAX_MB * 1024 * 1024 } : null,
    live: {
      authRecheckSeconds: e.STORE_LIVE_AUTH_RECHECK_SECONDS,
      webhookAllowPrivate: e.STORE_WEBHOOK_ALLOW_PRIVATE,
      webhookRetryBaseMs: e.STORE_WEBHOOK_RETRY_BASE_MS,
      webhookRetryForSeconds: e.STORE_WEBHOOK_RETRY_FOR_SECONDS,
      webhookTimeoutMs: e.STORE_WEBHOOK_TIMEOUT_MS,
      webhookPollMs: e.STORE_WEBHOOK_POLL_MS,
    },
  };
}
