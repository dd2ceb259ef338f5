import { Prisma } from '../../generated/prisma/client.js';
import { prismaExecutor, type SqlExecutor } from '../../db/sql-executor.js';
import type { ServiceContext } from '../context.js';
import type { EntityAccess } from '../authorization/entity-access.js';
import type { RiskName } from '../../domain/channel.js';

/**
 * A revision is visible to readers of `unpublished`, and to readers of any
 * channel it was ever released to (its history stays readable there).
 * `db` is the transaction when a write decides on it (release).
 */
export async function canReadRevision(ctx: ServiceContext, access: EntityAccess, revisionId: number, db: SqlExecutor = prismaExecutor(ctx.prisma)): Promise<boolean> {
  if (access.canReadUnpublished()) return true;
  const channels = await db.query<{ track: string; risk: string }>(Prisma.sql`
    SELECT c."track", c."risk"::text AS "risk" FROM "Channel" c
    WHERE EXISTS (SELECT 1 FROM "Release" r WHERE r."channelId" = c."id" AND r."revisionId" = ${revisionId}::int AND r."action" = 'RELEASE')`);
  return channels.some((channel) => access.canReadChannel(channel.track, channel.risk.toLowerCase() as RiskName));
}
