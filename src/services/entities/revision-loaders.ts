import DataLoader from 'dataloader';
import type { Prisma } from '../../generated/prisma/client.js';
import { channelStateLoader } from '../channels/channel-state.js';
import type { EntityAccess } from '../authorization/entity-access.js';
import type { ServiceContext } from '../context.js';
import { perRequest } from '../request-cache.js';

/**
 * Which revisions of an entity the caller may read: all of them (readers of
 * `unpublished`), or those released on one of the channels listed (by id)
 * that the caller may read.
 */
export type RevisionScope = { all: true } | { all: false; channelIds: number[] };

export async function revisionScope(ctx: ServiceContext, access: EntityAccess): Promise<RevisionScope> {
  if (access.canReadUnpublished()) return { all: true };
  const state = await channelStateLoader(ctx).load(access.entity.id);
  const channels = state?.rows ?? [];
  return { all: false, channelIds: channels.filter((channel) => access.canReadChannel(channel.track, channel.risk)).map((channel) => channel.id) };
}

/** A Prisma filter for the revisions in `scope`. */
export function revisionScopeWhere(entityId: number, scope: RevisionScope): Prisma.RevisionWhereInput {
  return scope.all ? { entityId } : { entityId, releases: { some: { action: 'RELEASE', channelId: { in: scope.channelIds } } } };
}

/** The selection a GraphQL field asks for (Pothos' `query`), applied to every row of a batch. */
export type RevisionQuery = { select?: Prisma.RevisionSelect; include?: Prisma.RevisionInclude };
type RevisionRow = { entityId: number; number: number };

/** The query plus the columns the loaders match rows by. */
function withKeys(query: RevisionQuery): RevisionQuery {
  return query.select ? { select: { ...query.select, entityId: true, number: true } } : query;
}

/**
 * Revisions by (entity, number) with the selection `query`: one SQL
 * statement for every revision asked for in one tick (one per distinct
 * selection), however many entities a page shows. The latest revision of
 * an entity is number `nextRevision - 1`: numbers are consecutive and never
 * deleted.
 */
export function revisionLoader(ctx: ServiceContext, query: RevisionQuery): DataLoader<RevisionRow, RevisionRow | null, string> {
  return perRequest(
    ctx,
    `revisions:${JSON.stringify(query)}`,
    () =>
      new DataLoader<RevisionRow, RevisionRow | null, string>(
        async (keys) => {
          const rows = (await ctx.prisma.revision.findMany({
            ...withKeys(query),
            where: { OR: keys.map((key) => ({ entityId: key.entityId, number: key.number })) },
          })) as RevisionRow[];
          const byKey = new Map(rows.map((row) => [`${row.entityId}:${row.number}`, row]));
          return keys.map((key) => byKey.get(`${key.entityId}:${key.number}`) ?? null);
        },
        { cacheKeyFn: (key) => `${key.entityId}:${key.number}` },
      ),
  );
}

/**
 * The newest revision released on one of the given channels, per entity,
 * for callers who may not read `unpublished`: one statement per batch.
 */
export function latestReleasedRevisionLoader(
  ctx: ServiceContext,
  query: RevisionQuery,
): DataLoader<{ entityId: number; channelIds: number[] }, RevisionRow | null, string> {
  return perRequest(
    ctx,
    `latest-released:${JSON.stringify(query)}`,
    () =>
      new DataLoader<{ entityId: number; channelIds: number[] }, RevisionRow | null, string>(
        async (keys) => {
          const rows = (await ctx.prisma.revision.findMany({
            ...withKeys(query),
            where: { OR: keys.map((key) => revisionScopeWhere(key.entityId, { all: false, channelIds: key.channelIds })) },
            orderBy: [{ entityId: 'asc' }, { number: 'desc' }],
          })) as RevisionRow[];
          const newest = new Map<number, RevisionRow>();
          for (const row of rows) if (!newest.has(row.entityId)) newest.set(row.entityId, row);
          return keys.map((key) => newest.get(key.entityId) ?? null);
        },
        { cacheKeyFn: (key) => `${key.entityId}:${key.channelIds.join(',')}` },
      ),
  );
}
