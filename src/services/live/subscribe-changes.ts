import { Repeater } from '@repeaterjs/repeater';
import { parseEntityUrl } from '../../domain/entity-url.js';
import { AuthenticationError, ValidationError } from '../../domain/errors.js';
import { authenticate } from '../accounts/authenticate.js';
import type { ServiceContext } from '../context.js';
import { clearRequestCaches } from '../request-cache.js';
import { entityAccessLoader } from '../entities/find-entity.js';
import { type ChangeFeed, changesAfter, type EntityChangeEvent, type FeedScope, MAX_CATCH_UP_EVENTS } from './change-feed.js';

/** What a subscription yields: a change, or the end of the subscription with an error (the token stopped being valid). */
export type SubscriptionItem = { change: EntityChangeEvent } | { ended: AuthenticationError };

export interface SubscriberSession {
  feed: ChangeFeed;
  /**
   * The subscriber's service context with the caller's rights read again
   * now (its token checked again, request caches dropped); throws
   * AuthenticationError when the token was revoked or expired.
   */
  refresh(): Promise<ServiceContext>;
  /** How often the token is checked again when no event arrives. */
  recheckMs: number;
}

export const MAX_SUBSCRIBED_URLS = 100;

/** Event ids are audit ids, shown as decimal strings. */
export function parseEventId(value: string | null | undefined, field = 'after'): number | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  if (!/^\d{1,15}$/.test(value)) throw new ValidationError(`${field} must be an event id from an earlier EntityChange.eventId`, field);
  return Number(value);
}

/**
 * The entity ids the urls name, whether or not the caller may see them now:
 * visibility is decided per event, at delivery, so an entity shared later
 * starts delivering and one made private stops. Unknown urls name nothing.
 */
async function entityIdsOf(ctx: ServiceContext, urls: readonly string[]): Promise<number[]> {
  if (urls.length === 0) throw new ValidationError('Name at least one charm or bundle', 'urls');
  if (urls.length > MAX_SUBSCRIBED_URLS) throw new ValidationError(`At most ${MAX_SUBSCRIBED_URLS} urls per subscription`, 'urls');
  const ids = await Promise.all(
    urls.map(async (text) => {
      const url = parseEntityUrl(text, 'urls');
      const entity = url.owner
        ? await ctx.prisma.entity.findFirst({ where: { name: url.name, namespace: { name: url.owner } }, select: { id: true } })
        : (await ctx.prisma.topLevelName.findUnique({ where: { name: url.name }, select: { entityId: true } }))?.entityId;
      return typeof entity === 'number' ? entity : (entity?.id ?? null);
    }),
  );
  return [...new Set(ids.filter((id): id is number => id !== null))];
}

/** The changes of the entities `urls` name that the subscriber may see, from `after` (exclusive) on, then live. */
export async function subscribeEntityChanges(
  ctx: ServiceContext,
  session: SubscriberSession,
  input: { urls: readonly string[]; after?: string | null },
): Promise<AsyncIterable<SubscriptionItem>> {
  const after = parseEventId(input.after);
  const entityIds = await entityIdsOf(ctx, input.urls);
  return changeStream(session, { entityIds }, after, () => true);
}

/** New releases of every entity the subscriber may see (optionally of one owner), from `after` on, then live. */
export async function subscribeReleases(
  session: SubscriberSession,
  input: { owner?: string | null; after?: string | null },
): Promise<AsyncIterable<SubscriptionItem>> {
  const after = parseEventId(input.after);
  const owner = input.owner ?? null;
  return changeStream(session, 'all', after, (change, ownerName) => change.kind === 'RELEASE' && (owner === null || owner === ownerName));
}

/**
 * The order of a resumed subscription: its backlog (read after it started listening, so that nothing
 * committed in between is missed) first, then the live events that arrived while the backlog was read. A
 * live event passed on at once would overtake older ones of the same entity still in the backlog: a
 * subscriber resuming after event 30 would get 40 before 32. `live` is the feed's listener; `caughtUp`
 * delivers the backlog and what was held, after which live events go straight through. (Duplicates of the
 * backlog among them are for `deliver` to skip.)
 */
export function backlogFirst(deliver: (change: EntityChangeEvent) => void): {
  live(change: EntityChangeEvent): void;
  caughtUp(backlog: readonly EntityChangeEvent[]): void;
} {
  let held: EntityChangeEvent[] | null = [];
  return {
    live: (change) => (held ? held.push(change) : deliver(change)),
    caughtUp: (backlog) => {
      const overtaking = held ?? [];
      held = null;
      for (const change of backlog) deliver(change);
      for (const change of overtaking) deliver(change);
    },
  };
}

function changeStream(
  session: SubscriberSession,
  scope: FeedScope,
  after: number | undefined,
  wanted: (change: EntityChangeEvent, ownerName: string) => boolean,
): AsyncIterable<SubscriptionItem> {
  return new Repeater<SubscriptionItem>(async (push, stop) => {
    let chain = Promise.resolve();
    const delivered = new Set<number>();
    let ended = false;
    const end = async (error: AuthenticationError) => {
      if (ended) return;
      ended = true;
      await push({ ended: error });
      stop();
    };
    // One at a time and in order: each delivery reads the subscriber's rights first.
    const deliver = (change: EntityChangeEvent) => {
      chain = chain.then(async () => {
        if (ended || delivered.has(change.eventId)) return;
        delivered.add(change.eventId);
        let services: ServiceContext;
        try {
          services = await session.refresh();
        } catch (error) {
          if (error instanceof AuthenticationError) return end(error);
          throw error;
        }
        const access = await entityAccessLoader(services).load(change.entityId);
        if (!access || !wanted(change, access.entity.namespace.name)) return;
        await push({ change });
      });
      chain.catch((error: unknown) => stop(error));
    };
    // Listen before reading the backlog, so nothing committed in between is missed (duplicates are skipped); what
    // arrives live meanwhile waits for the backlog, which is older.
    const order = backlogFirst(deliver);
    const unsubscribe = await session.feed.subscribe(scope, after === undefined ? deliver : order.live);
    const recheck = setInterval(() => {
      chain = chain.then(async () => {
        if (ended) return;
        try {
          await session.refresh();
        } catch (error) {
          if (error instanceof AuthenticationError) return end(error);
          throw error;
        }
      });
    }, session.recheckMs);
    recheck.unref();
    try {
      if (after !== undefined) {
        order.caughtUp(await changesAfter(session.feed.prisma, scope, after, MAX_CATCH_UP_EVENTS));
      }
      await stop;
    } finally {
      clearInterval(recheck);
      unsubscribe();
    }
  });
}

/**
 * A subscriber's session: every delivery re-reads who the token belongs to
 * and what they may see, in the same (long-lived) service context, whose
 * per-request caches are dropped first.
 */
export function subscriberSession(ctx: ServiceContext, feed: ChangeFeed, authorization: string | null, recheckMs: number): SubscriberSession {
  return {
    feed,
    recheckMs,
    refresh: async () => {
      ctx.actor = await authenticate(ctx.sql, authorization, ctx.now());
      clearRequestCaches(ctx);
      return ctx;
    },
  };
}
