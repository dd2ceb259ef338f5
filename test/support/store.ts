import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print, type DocumentNode } from 'graphql';
import pino from 'pino';
import { FileBlobStore } from '../../src/blobs/file-blob-store.js';
import type { ArchiveLimits } from '../../src/domain/archive.js';
import type { BlobStore } from '../../src/blobs/blob-store.js';
import type { Database } from '../../src/db/database.js';
import type { Logger } from '../../src/logger.js';
import { createApp, type StoreApp } from '../../src/http/app.js';
import { DEFAULT_WRITE_LIMITS, DEFAULT_WRITES } from '../../src/config.js';
import type { ServiceSettings } from '../../src/services/context.js';
import type { DomainEventPublisher } from '../../src/services/pipeline/events.js';
import type { LiveSettings } from '../../src/services/live/live-updates.js';
import { DownloadCounter } from '../../src/services/downloads/download-counter.js';
import { ensureAdmin } from '../../src/services/accounts/ensure-admin.js';
import { createTestDatabase, type TestDatabase } from './database.js';

/** Cheap KDF settings for tests; production uses the configured cost. */
export const TEST_SCRYPT_COST = 1024;
/** The production default: a branch closes after 30 days without a release. */
export const BRANCH_TTL_SECONDS = 30 * 24 * 3600;
export const ADMIN = { username: 'admin', password: 'admin-password-1' };

/**
 * Each operation's text, printed once per worker: `print` walks the whole
 * document (~0.05-0.4 ms), and the suite sends the same few hundred
 * documents tens of thousands of times.
 */
const printedDocuments = new WeakMap<DocumentNode, string>();
export function operationText(document: DocumentNode): string {
  let text = printedDocuments.get(document);
  if (text === undefined) printedDocuments.set(document, (text = print(document)));
  return text;
}

export interface GraphQLResponse<R> {
  status: number;
  data?: R | null;
  errors?: Array<{ message: string; extensions?: Record<string, unknown> }>;
}

export interface ExecuteOptions {
  token?: string;
  /** Sent verbatim as the Authorization header (to test malformed ones). */
  authorization?: string;
}

/** Limits small enough for tests to cross them. */
export interface TestLimits {
  archiveLimits: ArchiveLimits;
  maxUploadBytes: number;
  maxMultipartBytes: number;
  maxChannelsPerChange: number;
}

export const DEFAULT_TEST_LIMITS: TestLimits = {
  archiveLimits: {
    maxArchiveBytes: 4 * 1024 * 1024,
    maxEntries: 100,
    maxEntryBytes: 1024 * 1024,
    maxUncompressedBytes: 2 * 1024 * 1024,
    maxMetadataBytes: DEFAULT_WRITE_LIMITS.maxMetadataBytes,
    maxDeclaredResources: DEFAULT_WRITE_LIMITS.maxDeclaredResources,
  },
  maxUploadBytes: 8 * 1024 * 1024,
  maxMultipartBytes: 6 * 1024 * 1024,
  maxChannelsPerChange: DEFAULT_WRITE_LIMITS.maxChannelsPerChange,
};

export interface TestStore {
  app: StoreApp;
  database: TestDatabase;
  /** The blob directory of this store (a temporary directory). */
  blobDir: string;
  blobs: BlobStore;
  settings: ServiceSettings;
  limits: TestLimits;
  clock: { now: Date; advance(ms: number): void };
  execute<R, V extends Record<string, unknown>>(
    document: TypedDocumentNode<R, V>,
    variables: V,
    options?: ExecuteOptions,
  ): Promise<GraphQLResponse<R>>;
  /**
   * Sends an operation as a GraphQL multipart request (operations, map and
   * one form part per file), the way curl and upload clients do. `files`
   * maps a variable path such as "input.archive" to the file.
   */
  executeMultipart<R, V extends Record<string, unknown>>(
    document: TypedDocumentNode<R, V>,
    variables: V,
    files: Record<string, File>,
    options?: ExecuteOptions,
  ): Promise<GraphQLResponse<R>>;
  /** A raw HTTP request to the app (uploads, downloads). */
  request(pathname: string, init?: RequestInit & { token?: string }): Promise<Response>;
  /** The app's download counter (tests flush it instead of waiting for an interval). */
  downloadCounter: DownloadCounter;
  close(): Promise<void>;
}

/**
 * A store on a fresh database with an admin account, driven in-process
 * through `app.fetch` exactly as HTTP clients drive it.
 */
export async function createTestStore(
  options: {
    realClock?: boolean;
    limits?: Partial<TestLimits>;
    settings?: Partial<ServiceSettings>;
    /** What the app sees of the database (fault tests put a failing layer in between). */
    wrapDatabase?: (db: Database) => Database;
    logger?: Logger;
    /** A database of the test's own instead of a fresh copy of the migrated one (the outage test's own PostgreSQL server). */
    database?: TestDatabase;
    events?: DomainEventPublisher;
    corsOrigins?: string[];
    live?: LiveSettings;
    /** Another backend (test/blobs/s3.test.ts); the default is a filesystem store in a temporary directory. */
    blobs?: BlobStore;
    metricsToken?: string;
    /** Keep whole answers (src/http/read-cache.ts); off unless given, or TEST_READ_CACHE=true for a whole run. */
    readCache?: boolean;
  } = {},
): Promise<TestStore> {
  const database = options.database ?? (await createTestDatabase());
  const blobDir = await fs.mkdtemp(path.join(os.tmpdir(), 'charmstore-blobs-'));
  const blobs = options.blobs ?? (await FileBlobStore.open(blobDir));
  const limits = { ...DEFAULT_TEST_LIMITS, ...options.limits };
  const clock = {
    now: new Date('2026-01-01T00:00:00Z'),
    advance(ms: number) {
      this.now = new Date(this.now.getTime() + ms);
    },
  };
  const now = options.realClock ? () => new Date() : () => clock.now;
  await ensureAdmin(database.db.prisma, ADMIN, TEST_SCRYPT_COST, now());
  const settings: ServiceSettings = {
    tokenTtlSeconds: 30 * 24 * 3600,
    maxTokenTtlSeconds: 365 * 24 * 3600,
    scryptCost: TEST_SCRYPT_COST,
    archiveLimits: limits.archiveLimits,
    maxUploadBytes: limits.maxUploadBytes,
    branchTtlSeconds: BRANCH_TTL_SECONDS,
    uploadTtlSeconds: 24 * 3600,
    maxChannelsPerChange: limits.maxChannelsPerChange,
    writes: DEFAULT_WRITES,
    ...options.settings,
  };
  const downloadCounter = new DownloadCounter(database.db.prisma, pino({ level: 'silent' }), now);
  const app = createApp({
    downloadCounter,
    db: options.wrapDatabase ? options.wrapDatabase(database.db) : database.db,
    logger: options.logger ?? pino({ level: 'silent' }),
    blobs,
    settings,
    limits: { maxQueryDepth: 12, maxQueryCost: 20000, maxMultipartBytes: limits.maxMultipartBytes },
    corsOrigins: options.corsOrigins,
    now,
    events: options.events,
    live: options.live,
    metricsToken: options.metricsToken,
    readCache: (options.readCache ?? process.env.TEST_READ_CACHE === 'true') ? { maxBytes: 16 * 1024 * 1024 } : null,
  });

  const execute: TestStore['execute'] = async (document, variables, opts = {}) => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    if (opts.authorization !== undefined) headers.authorization = opts.authorization;
    const response = await app.fetch('http://store.test/graphql', {
      method: 'POST',
      headers,
      body: JSON.stringify({ query: operationText(document), variables }),
    });
    const body = (await response.json()) as Omit<GraphQLResponse<never>, 'status'>;
    return { status: response.status, ...body } as GraphQLResponse<never>;
  };

  const authorizationHeaders = (opts: ExecuteOptions): Record<string, string> => {
    const headers: Record<string, string> = {};
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    if (opts.authorization !== undefined) headers.authorization = opts.authorization;
    return headers;
  };

  const executeMultipart: TestStore['executeMultipart'] = async (document, variables, files, opts = {}) => {
    const form = new FormData();
    const names = Object.keys(files);
    form.set('operations', JSON.stringify({ query: operationText(document), variables }));
    form.set('map', JSON.stringify(Object.fromEntries(names.map((name, index) => [String(index), [`variables.${name}`]]))));
    names.forEach((name, index) => form.set(String(index), files[name]!));
    // As every non-browser client must: multipart posts need a CSRF header (docs/security.md).
    const headers = { ...authorizationHeaders(opts), 'x-graphql-yoga-csrf': '1' };
    const response = await app.fetch('http://store.test/graphql', { method: 'POST', headers, body: form });
    const body = (await response.json()) as Omit<GraphQLResponse<never>, 'status'>;
    return { status: response.status, ...body } as GraphQLResponse<never>;
  };

  const request: TestStore['request'] = async (pathname, init = {}) => {
    const { token, ...rest } = init;
    const headers = new Headers(rest.headers);
    if (token) headers.set('authorization', `Bearer ${token}`);
    return app.fetch(`http://store.test${pathname}`, { ...rest, headers, ...(rest.body instanceof ReadableStream ? { duplex: 'half' } : {}) } as RequestInit);
  };

  return {
    app,
    database,
    blobDir,
    blobs,
    settings,
    limits,
    clock,
    execute,
    executeMultipart,
    request,
    downloadCounter,
    close: async () => {
      await downloadCounter.stop();
      await database.drop();
      await fs.rm(blobDir, { recursive: true, force: true });
    },
  };
}
