import { Prisma } from '../../generated/prisma/client.js';
import type { SqlExecutor } from '../../db/sql-executor.js';
import { AuthenticationError } from '../../domain/errors.js';
import type { Actor } from '../context.js';
import { hashTokenSecret, looksLikeTokenSecret } from '../tokens.js';

const LAST_USED_RESOLUTION_MS = 60_000;

/**
 * Turns an Authorization header into the caller. No header is anonymous
 * (null); anything else that is not a live token is an AuthenticationError,
 * never a silent downgrade to anonymous.
 */
export async function authenticate(db: SqlExecutor, authorization: string | null, now: Date): Promise<Actor | null> {
  return (await authenticateRequest(db, authorization, now)).actor;
}

/**
 * `authenticate`, plus the database's read version (src/http/read-cache.ts)
 * read by the same statement, before anything of the request ran: a
 * signed-in read then costs no statement of its own to check the cache.
 * Null for an anonymous request, which sends no statement here.
 */
export async function authenticateRequest(db: SqlExecutor, authorization: string | null, now: Date): Promise<{ actor: Actor | null; readVersion: bigint | null }> {
  const { actor, readVersion, recordUse } = await readAuthentication(db, authorization, now);
  await recordUse();
  return { actor, readVersion };
}

/** Who the caller is, read without writing anything; `recordUse` then records the token's use, for a request that runs. */
export interface Authentication {
  actor: Actor | null;
  readVersion: bigint | null;
  /** Sets the token's `lastUsedAt` (at most once a minute, so that reads stay reads). */
  recordUse(): Promise<void>;
}

const NOTHING_TO_RECORD = async () => undefined;

/**
 * authenticateRequest's read alone: the HTTP layer starts it with a
 * request's headers (src/http/app.ts), and records the use only once the
 * request gets as far as running, so that a request refused before (a
 * malformed body, a CSRF refusal) changes nothing.
 */
export async function readAuthentication(db: SqlExecutor, authorization: string | null, now: Date): Promise<Authentication> {
  if (authorization === null || authorization.trim() === '') return { actor: null, readVersion: null, recordUse: NOTHING_TO_RECORD };
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  if (!match?.[1]) {
    throw new AuthenticationError('The Authorization header must be "Bearer <token>"');
  }
  const secret = match[1];
  if (!looksLikeTokenSecret(secret)) {
    throw new AuthenticationError('The bearer token is malformed; sign in again with the login mutation');
  }
  // Hand-written, on the driver's connection: every signed-in request runs it, and Prisma's client costs several times the CPU of the statement itself.
  const [token] = await db.query<TokenRow>(Prisma.sql`
    SELECT t."id", COALESCE(t."permissions", '{}') AS "permissions", COALESCE(t."entities", '{}') AS "entities",
           COALESCE(t."channels", '{}') AS "channels", t."revokedAt" IS NOT NULL AS "revoked",
           (extract(epoch FROM t."expiresAt") * 1000)::float8 AS "expiresAt", (extract(epoch FROM t."lastUsedAt") * 1000)::float8 AS "lastUsedAt",
           u."id" AS "userId", u."username", u."isAdmin",
           (SELECT COALESCE(json_agg(json_build_object('id', g."id", 'name', g."name") ORDER BY g."id"), '[]'::json)
              FROM "GroupMember" m JOIN "Group" g ON g."id" = m."groupId" WHERE m."userId" = u."id") AS "groups",
           (SELECT v."version" FROM "ReadVersion" v WHERE v."id" = 1) AS "readVersion"
    FROM "Token" t JOIN "User" u ON u."id" = t."userId"
    WHERE t."secretHash" = ${hashTokenSecret(secret)}`);
  if (!token) throw new AuthenticationError('The bearer token is not known; sign in again with the login mutation');
  if (token.revoked) throw new AuthenticationError('The bearer token was revoked; sign in again with the login mutation');
  if (token.expiresAt <= now.getTime()) throw new AuthenticationError('The bearer token has expired; sign in again with the login mutation');
  // Recording every use would turn each read into a write; once a minute is enough to show activity.
  const recordUse =
    token.lastUsedAt === null || now.getTime() - token.lastUsedAt > LAST_USED_RESOLUTION_MS
      ? async () => void (await db.query(Prisma.sql`UPDATE "Token" SET "lastUsedAt" = ${now} WHERE "id" = ${token.id}::int`))
      : NOTHING_TO_RECORD;
  const actor: Actor = {
    userId: token.userId,
    username: token.username,
    isAdmin: token.isAdmin,
    tokenId: token.id,
    tokenExpiresAt: new Date(token.expiresAt),
    permissions: token.permissions,
    entities: token.entities,
    channels: token.channels,
    groups: typeof token.groups === 'string' ? (JSON.parse(token.groups) as TokenGroup[]) : token.groups,
  };
  return { actor, readVersion: token.readVersion === null ? null : BigInt(token.readVersion), recordUse };
}

interface TokenGroup {
  id: number;
  name: string;
}

/** The token with its user and the user's groups; times in ms since the epoch. */
interface TokenRow {
  id: number;
  permissions: string[];
  entities: string[];
  channels: string[];
  revoked: boolean;
  expiresAt: number;
  lastUsedAt: number | null;
  userId: number;
  username: string;
  isAdmin: boolean;
  /** json: the PostgreSQL adapter parses it, PGlite's may hand over the text. */
  groups: TokenGroup[] | string;
  readVersion: bigint | number | string | null;
}
