import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import pino from 'pino';
import { createApp, type StoreApp } from '../../src/http/app.js';
import { ensureAdmin } from '../../src/services/accounts/ensure-admin.js';
import { createTestDatabase, type TestDatabase } from './database.js';

/** Cheap KDF settings for tests; production uses the configured cost. */
export const TEST_SCRYPT_COST = 1024;
/** The production default: a branch closes after 30 days without a release. */
export const BRANCH_TTL_SECONDS = 30 * 24 * 3600;
export const ADMIN = { username: 'admin', password: 'admin-password-1' };

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

export interface TestStore {
  app: StoreApp;
  database: TestDatabase;
  clock: { now: Date; advance(ms: number): void };
  execute<R, V extends Record<string, unknown>>(
    document: TypedDocumentNode<R, V>,
    variables: V,
    options?: ExecuteOptions,
  ): Promise<GraphQLResponse<R>>;
  close(): Promise<void>;
}

/**
 * A store on a fresh database with an admin account, driven in-process
 * through `app.fetch` exactly as HTTP clients drive it.
 */
export async function createTestStore(options: { realClock?: boolean } = {}): Promise<TestStore> {
  const database = await createTestDatabase();
  const clock = {
    now: new Date('2026-01-01T00:00:00Z'),
    advance(ms: number) {
      this.now = new Date(this.now.getTime() + ms);
    },
  };
  const now = options.realClock ? () => new Date() : () => clock.now;
  await ensureAdmin(database.db.prisma, ADMIN, TEST_SCRYPT_COST, now());
  const app = createApp({
    db: database.db,
    logger: pino({ level: 'silent' }),
    settings: { tokenTtlSeconds: 30 * 24 * 3600, scryptCost: TEST_SCRYPT_COST, branchTtlSeconds: BRANCH_TTL_SECONDS },
    limits: { maxQueryDepth: 12, maxQueryCost: 20000 },
    now,
  });

  const execute: TestStore['execute'] = async (document, variables, opts = {}) => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    if (opts.authorization !== undefined) headers.authorization = opts.authorization;
    const response = await app.fetch('http://store.test/graphql', {
      method: 'POST',
      headers,
      body: JSON.stringify({ query: print(document), variables }),
    });
    const body = (await response.json()) as Omit<GraphQLResponse<never>, 'status'>;
    return { status: response.status, ...body } as GraphQLResponse<never>;
  };

  return { app, database, clock, execute, close: () => database.drop() };
}
