import DataLoader from 'dataloader';
import type { Prisma } from '../../generated/prisma/client.js';
import type { GraphQLContext } from '../context.js';
import { perRequest } from '../../services/request-cache.js';

/** What a resolution shows, each part with the selection Pothos planned for its field. */
export type ServingPart =
  | { part: 'entity'; query: Pick<Prisma.EntityFindManyArgs, 'select' | 'include'> }
  | { part: 'revision'; query: Pick<Prisma.RevisionFindManyArgs, 'select' | 'include'> }
  | { part: 'resources'; query: Pick<Prisma.ResourceRevisionFindManyArgs, 'select' | 'include'> };

/** Read from the serving Channel row (no base asked) or from the release that set the serving map entry (a base asked). */
export type ServingSource = { channelId: number } | { releaseId: number };

type Key = ServingPart & { source: ServingSource };

function sourceSlot(source: ServingSource): string {
  return 'channelId' in source ? `c${source.channelId}` : `r${source.releaseId}`;
}

/**
 * The parts of a resolution (its entity, the revision the serving channel
 * points at, and the resource revisions its newest release pinned), read
 * with one statement for all of them: the fields of one `resolve` resolve
 * in the same tick, and the batch merges their selections into one query of
 * the serving Channel row with its relations joined. For a platform, the
 * same parts come from the release that set the platform's map entry (its
 * revision and pins), again in one statement. A part asked for twice with
 * different selections (aliases) costs one more statement.
 */
export function loadServingPart(ctx: GraphQLContext, key: Key): Promise<unknown> {
  return perRequest(
    ctx.services,
    'serving-channel-parts',
    () =>
      new DataLoader<Key, unknown>(
        async (keys) => {
          const results = new Map<Key, unknown>();
          // Keys asking for the same part of the same source with the same selection (a refresh of many
          // instances of one charm) share one answer: only distinct selections cost rounds.
          const firstOfKind = new Map<string, Key>();
          const sameAs = new Map<Key, Key>();
          for (const key of keys) {
            const kind = `${sourceSlot(key.source)}:${key.part}:${JSON.stringify(key.query)}`;
            const first = firstOfKind.get(kind);
            if (first) sameAs.set(key, first);
            else firstOfKind.set(kind, key);
          }
          let pending = [...firstOfKind.values()];
          while (pending.length > 0) {
            // One query per round, with at most one key per (channel, part).
            const round: Key[] = [];
            const taken = new Set<string>();
            const later: Key[] = [];
            for (const key of pending) {
              const slot = `${sourceSlot(key.source)}:${key.part}`;
              if (taken.has(slot)) later.push(key);
              else {
                taken.add(slot);
                round.push(key);
              }
            }
            await readRound(ctx, round, results);
            pending = later;
          }
          return keys.map((key) => results.get(sameAs.get(key) ?? key) ?? null);
        },
        { cache: false },
      ),
  ).load(key);
}

async function readRound(ctx: GraphQLContext, keys: Key[], results: Map<Key, unknown>): Promise<void> {
  const fromChannels = keys.filter((key) => 'channelId' in key.source);
  const fromReleases = keys.filter((key) => 'releaseId' in key.source);
  await Promise.all([
    fromChannels.length ? readChannels(ctx, fromChannels, results) : undefined,
    fromReleases.length ? readReleases(ctx, fromReleases, results) : undefined,
  ]);
}

function pinsSelect(query: ServingPart['query']) {
  return { orderBy: { resourceRevisionId: 'asc' as const }, select: { resourceRevision: query.select ? { select: query.select as Prisma.ResourceRevisionSelect } : (true as const) } };
}

async function readReleases(ctx: GraphQLContext, keys: Key[], results: Map<Key, unknown>): Promise<void> {
  const releaseIds = [...new Set(keys.map((key) => (key.source as { releaseId: number }).releaseId))];
  const select: Prisma.ReleaseSelect = { id: true };
  for (const key of keys) {
    if (key.part === 'entity') select.entity = key.query.select ? { select: key.query.select as Prisma.EntitySelect } : true;
    if (key.part === 'revision') select.revision = key.query.select ? { select: key.query.select as Prisma.RevisionSelect } : true;
    if (key.part === 'resources') select.resources = pinsSelect(key.query);
  }
  const rows = (await ctx.prisma.release.findMany({ where: { id: { in: releaseIds } }, select })) as Array<Record<string, unknown> & { id: number }>;
  const byId = new Map(rows.map((row) => [row.id, row]));
  for (const key of keys) {
    const row = byId.get((key.source as { releaseId: number }).releaseId);
    if (!row) continue;
    if (key.part === 'resources') results.set(key, (row.resources as Array<{ resourceRevision: unknown }>).map((pin) => pin.resourceRevision));
    else results.set(key, row[key.part]);
  }
}

async function readChannels(ctx: GraphQLContext, keys: Key[], results: Map<Key, unknown>): Promise<void> {
  const channelIds = [...new Set(keys.map((key) => (key.source as { channelId: number }).channelId))];
  const select: Prisma.ChannelSelect = { id: true };
  for (const key of keys) {
    if (key.part === 'entity') select.entity = key.query.select ? { select: key.query.select } : true;
    if (key.part === 'revision') select.revision = key.query.select ? { select: key.query.select } : true;
    if (key.part === 'resources') {
      select.history = {
        orderBy: { id: 'desc' },
        take: 1,
        select: {
          resources: { orderBy: { resourceRevisionId: 'asc' }, select: { resourceRevision: key.query.select ? { select: key.query.select } : true } },
        },
      };
    }
  }
  // Several resolutions (aliases) of different channels share the statement; one select serves them all.
  const rows = (await ctx.prisma.channel.findMany({ where: { id: { in: channelIds } }, select })) as Array<Record<string, unknown> & { id: number }>;
  const byId = new Map(rows.map((row) => [row.id, row]));
  for (const key of keys) {
    const row = byId.get((key.source as { channelId: number }).channelId);
    if (!row) continue;
    if (key.part === 'resources') {
      const newest = (row.history as Array<{ resources: Array<{ resourceRevision: unknown }> }>)[0];
      results.set(key, newest?.resources.map((pin) => pin.resourceRevision) ?? []);
    } else {
      results.set(key, row[key.part]);
    }
  }
}
