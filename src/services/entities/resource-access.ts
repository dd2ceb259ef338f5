import { Prisma } from '../../generated/prisma/client.js';
import type { SqlExecutor } from '../../db/sql-executor.js';
import type { RiskName } from '../../domain/channel.js';
import type { EntityAccess } from '../authorization/entity-access.js';
import type { ServiceContext } from '../context.js';

/**
 * A resource revision is visible to readers of `unpublished`, and to readers
 * of any channel where a release pinned it (as with revisions).
 */
export async function canReadResourceRevision(ctx: ServiceContext, access: EntityAccess, resourceRevisionId: number): Promise<boolean> {
  if (access.canReadUnpublished()) return true;
  const channels = await ctx.prisma.channel.findMany({
    where: { entityId: access.entity.id, history: { some: { action: 'RELEASE', resources: { some: { resourceRevisionId } } } } },
    select: { track: true, risk: true },
  });
  return channels.some((channel) => access.canReadChannel(channel.track, channel.risk.toLowerCase() as RiskName));
}

/**
 * The ids of the entity's resource revisions the caller may see, by the
 * rule of canReadResourceRevision: 'all' for readers of `unpublished`,
 * otherwise those pinned by a release on a channel the caller may read.
 * Two statements whatever the number of resources.
 */
export async function readableResourceRevisionIds(db: SqlExecutor, access: EntityAccess): Promise<'all' | ReadonlySet<number>> {
  if (access.canReadUnpublished()) return 'all';
  const channels = await db.query<{ id: number; track: string; risk: string }>(
    Prisma.sql`SELECT "id", "track", "risk"::text AS "risk" FROM "Channel" WHERE "entityId" = ${access.entity.id}::int`,
  );
  const readable = channels.filter((channel) => access.canReadChannel(channel.track, channel.risk.toLowerCase() as RiskName)).map((channel) => channel.id);
  if (readable.length === 0) return new Set();
  const pinned = await db.query<{ id: number }>(Prisma.sql`
    SELECT DISTINCT p."resourceRevisionId" AS "id"
    FROM "ReleaseResource" p
    JOIN "Release" r ON r."id" = p."releaseId"
    JOIN "ResourceRevision" rr ON rr."id" = p."resourceRevisionId"
    JOIN "Resource" s ON s."id" = rr."resourceId"
    WHERE s."entityId" = ${access.entity.id}::int AND r."action" = 'RELEASE' AND r."channelId" = ANY (${readable}::int[])`);
  return new Set(pinned.map((revision) => revision.id));
}
