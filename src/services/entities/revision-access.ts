import type { Tx } from '../../db/database.js';
import type { ServiceContext } from '../context.js';
import type { EntityAccess } from '../authorization/entity-access.js';
import type { RiskName } from '../../domain/channel.js';

/**
 * A revision is visible to readers of `unpublished`, and to readers of any
 * channel it was ever released to (its history stays readable there).
 * `db` is the transaction when a write decides on it (release).
 */
export async function canReadRevision(ctx: ServiceContext, access: EntityAccess, revisionId: number, db: Tx = ctx.prisma): Promise<boolean> {
  if (access.canReadUnpublished()) return true;
  const channels = await db.channel.findMany({
    where: { history: { some: { revisionId, action: 'RELEASE' } } },
    select: { track: true, risk: true },
  });
  return channels.some((channel) => access.canReadChannel(channel.track, channel.risk.toLowerCase() as RiskName));
}
