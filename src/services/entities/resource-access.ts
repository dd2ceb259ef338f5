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
