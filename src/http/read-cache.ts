import { type DocumentNode, type ExecutionResult, getOperationAST } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { LRUCache } from 'lru-cache';
import type { Database } from '../db/database.js';
import { Prisma } from '../generated/prisma/client.js';
import type { GraphQLContext } from '../graphql/context.js';
import { trackReadValidity } from '../services/read-validity.js';
import { sameBodyAs } from './compression.js';

/**
 * Whole answers to queries, kept per document, variables and caller, and
 * served again only while nothing they depend on changed
 * (docs/performance.md#whole-answer-cache):
 *
 * - the database: every committed write that changes what a read can answer
 *   moves ReadVersion (triggers, at commit, in every store process and in
 *   plain SQL alike). The version is read BEFORE executing and the answer is
 *   tagged with it; a later request reads the version again (in the token's
 *   statement when signed in, else one statement of its own) and gets the
 *   kept answer only when it is the same, so no write committed since the
 *   answer's reads began;
 * - the clock: a branch expiring changes an answer without a write; such an
 *   answer carries its own expiry (read-validity.ts), and an answer that read
 *   the clock otherwise is not kept;
 * - the caller: the key holds the token (its limits), the admin flag and the
 *   group ids read by this request's authentication, which runs on every
 *   request before the cache (a revoked or expired token is refused, never
 *   served from here). Anonymous callers share answers.
 *
 * Mutations, subscriptions and answers with errors are never kept.
 */
export interface ReadCacheSettings {
  /** Most bytes of answers (their JSON) kept; the least recently used go first. */
  maxBytes: number;
}

interface Kept {
  version: bigint;
  /** Epoch ms after which the answer no longer holds (a branch expires); Infinity when the clock does not matter. */
  until: number;
  /**
   * The answer, with its JSON: Yoga serialises a result through its own
   * `stringify` when it has one, so a kept answer is serialised once, when
   * kept, not on every hit (~4 ms for a 150 kB dashboard page).
   */
  result: ExecutionResult & { stringify: () => string };
  json: string;
}

const READ_VERSION_SQL = Prisma.sql`SELECT "version" FROM "ReadVersion" WHERE "id" = 1`;

/** Documents are parsed once per query text (Yoga's parser cache): a number per document object is its key part. */
const documentKeys = new WeakMap<DocumentNode, number>();
let nextDocumentKey = 0;

function documentKey(document: DocumentNode): number {
  let key = documentKeys.get(document);
  if (key === undefined) documentKeys.set(document, (key = nextDocumentKey++));
  return key;
}

/** Who is asking, as far as answers differ: null when unknown (the groups were not read with the token). */
function callerKey(ctx: GraphQLContext): string | null {
  const actor = ctx.services.actor;
  if (!actor) return 'anonymous';
  if (!actor.groups) return null;
  return `${actor.tokenId}:${actor.isAdmin}:${actor.groups.map((group) => group.id).join(',')}`;
}

export function readCache(db: Database, settings: ReadCacheSettings, now: () => Date): Plugin<GraphQLContext> {
  // The newest version seen: answers tagged with an older one can never be served again.
  let newest = -1n;
  const cache = new LRUCache<string, Kept>({
    maxSize: settings.maxBytes,
    sizeCalculation: (value, key) => key.length + value.json.length,
  });

  const readVersion = async (): Promise<bigint | null> => {
    try {
      // On the driver's connection: Prisma's client would cost several times the statement.
      const rows = await db.sql.query<{ version: bigint }>(READ_VERSION_SQL);
      return rows[0] ? BigInt(rows[0].version) : null;
    } catch {
      // Not available: execute as usual, which reports the outage properly.
      return null;
    }
  };

  return {
    async onExecute({ args, setResultAndStopExecution }) {
      const operation = getOperationAST(args.document, args.operationName);
      if (operation?.operation !== 'query') return;
      const ctx = args.contextValue;
      const caller = callerKey(ctx);
      if (caller === null) return;
      // A signed-in caller's was read with the token (readAuthentication, with the request's headers); an anonymous one's costs its own statement.
      const version = ctx.readVersion ?? (await readVersion());
      if (version === null) return;
      if (version > newest) {
        newest = version;
        cache.clear();
      }
      const key = `${caller}\u0000${documentKey(args.document)}\u0000${args.operationName ?? ''}\u0000${JSON.stringify(args.variableValues ?? {})}`;
      const hit = cache.get(key);
      if (hit && hit.version === version && hit.until > now().getTime()) {
        // The same bytes as the last time it was served: compression may reuse what it made of them.
        const request = (ctx as { request?: Request }).request;
        if (request) sameBodyAs(request, hit);
        setResultAndStopExecution(hit.result);
        return;
      }
      const validity = trackReadValidity(ctx.services);
      return {
        onExecuteDone({ result }) {
          const until = validity.validUntil();
          if (until === null || until <= now().getTime() || version !== newest) return;
          if (!('data' in result) || result.errors || result.data === undefined || result.data === null) return;
          const json = JSON.stringify(result);
          cache.set(key, { version, until, json, result: { ...result, stringify: () => json } });
        },
      };
    },
  };
}
