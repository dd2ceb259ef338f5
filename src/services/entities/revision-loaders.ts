import DataLoader from 'dataloader';
import { Prisma, type Revision } from '../../generated/prisma/client.js';
import type { RiskName } from '../../domain/channel.js';
import type { EntityAccess } from '../authorization/entity-access.js';
import type { ServiceContext } from '../context.js';
import { perRequest } from '../request-cache.js';

/**
 * Which revisions of an entity the caller may read: all of them (readers of
 * `unpublished`), or those released on one of the channels listed (by id)
 * that the caller may read.
 */
export type RevisionScope = { all: true } | { all: false; channelIds: number[] };

/** The channels of many entities, one query per batch. */
function channelsLoader(ctx: ServiceContext) {
  return perRequest(
    ctx,
    'entity-channels',
    () =>
      new DataLoader<number, Array<{ id: number; track: string; risk: RiskName }>>(async (entityIds) => {
        const channels = await ctx.prisma.channel.findMany({
          where: { entityId: { in: [...entityIds] } },
          select: { id: true, entityId: true, track: true, risk: true },
        });
        return entityIds.map((entityId) =>
          channels
            .filter((channel) => channel.entityId === entityId)
            .map((channel) => ({ id: channel.id, track: channel.track, risk: channel.risk.toLowerCase() as RiskName })),
        );
      }),
  );
}

export async function revisionScope(ctx: ServiceContext, access: EntityAccess): Promise<RevisionScope> {
  if (access.canReadUnpublished()) return { all: true };
  const channels = await channelsLoader(ctx).load(access.entity.id);
  return { all: false, channelIds: channels.filter((channel) => access.canReadChannel(channel.track, channel.risk)).map((channel) => channel.id) };
}

/** A Prisma filter for the revisions in `scope`. */
export function revisionScopeWhere(entityId: number, scope: RevisionScope): Prisma.RevisionWhereInput {
  return scope.all ? { entityId } : { entityId, releases: { some: { action: 'RELEASE', channelId: { in: scope.channelIds } } } };
}

interface LatestKey {
  entityId: number;
  scope: RevisionScope;
}

/**
 * The newest revision (in scope) of each entity asked for in one tick: one
 * SQL statement for every entity whose caller reads `unpublished`, one more
 * for the others, however many entities a page shows.
 */
export function latestRevisionLoader(ctx: ServiceContext): DataLoader<LatestKey, Revision | null, string> {
  return perRequest(
    ctx,
    'latest-revision',
    () =>
      new DataLoader<LatestKey, Revision | null, string>(
        async (keys) => {
          const open = keys.filter((key) => key.scope.all).map((key) => key.entityId);
          const scoped = keys.filter((key) => !key.scope.all);
          const channelIds = scoped.flatMap((key) => (key.scope.all ? [] : key.scope.channelIds));
          const [openRows, scopedRows] = await Promise.all([
            open.length
              ? ctx.prisma.$queryRaw<Revision[]>`
                  SELECT DISTINCT ON ("entityId") * FROM "Revision"
                  WHERE "entityId" IN (${Prisma.join(open)})
                  ORDER BY "entityId", "number" DESC`
              : [],
            scoped.length && channelIds.length
              ? ctx.prisma.$queryRaw<Revision[]>`
                  SELECT DISTINCT ON (r."entityId") r.* FROM "Revision" r
                  WHERE r."entityId" IN (${Prisma.join(scoped.map((key) => key.entityId))})
                    AND EXISTS (SELECT 1 FROM "Release" rel WHERE rel."revisionId" = r."id" AND rel."action" = 'RELEASE'
                                AND rel."channelId" IN (${Prisma.join(channelIds)}))
                  ORDER BY r."entityId", r."number" DESC`
              : [],
          ]);
          const byEntity = new Map([...openRows, ...scopedRows].map((row) => [row.entityId, row]));
          return keys.map((key) => byEntity.get(key.entityId) ?? null);
        },
        { cacheKeyFn: (key) => `${key.entityId}:${key.scope.all ? '*' : key.scope.channelIds.join(',')}` },
      ),
  );
}

/** Revisions by (entity, number), batched into one query. */
export function revisionByNumberLoader(ctx: ServiceContext): DataLoader<{ entityId: number; number: number }, Revision | null, string> {
  return perRequest(
    ctx,
    'revision-by-number',
    () =>
      new DataLoader<{ entityId: number; number: number }, Revision | null, string>(
        async (keys) => {
          const rows = await ctx.prisma.revision.findMany({ where: { OR: keys.map((key) => ({ entityId: key.entityId, number: key.number })) } });
          const byKey = new Map(rows.map((row) => [`${row.entityId}:${row.number}`, row]));
          return keys.map((key) => byKey.get(`${key.entityId}:${key.number}`) ?? null);
        },
        { cacheKeyFn: (key) => `${key.entityId}:${key.number}` },
      ),
  );
}
