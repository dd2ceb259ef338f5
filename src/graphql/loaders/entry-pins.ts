import DataLoader from 'dataloader';
import type { GraphQLResolveInfo } from 'graphql';
import type { Prisma, ResourceRevision } from '../../generated/prisma/client.js';
import type { ChannelBaseView } from '../../services/channels/channel-state.js';
import type { GraphQLContext } from '../context.js';
import { perField } from './per-field.js';

type PinQuery = { select?: Prisma.ResourceRevisionSelect; include?: Prisma.ResourceRevisionInclude };

/**
 * The resource revisions pinned with a channel map entry: the pins of the
 * release that set it, for every entry of a page in one statement (batched
 * per field, with the selection Pothos planned).
 */
export async function loadEntryPins(ctx: GraphQLContext, info: GraphQLResolveInfo, query: PinQuery, entry: ChannelBaseView): Promise<ResourceRevision[]> {
  const planned = { ...query };
  if (entry.revisionId === null) return [];
  let releaseId = entry.releaseId;
  if (releaseId === null && entry.channelRowId !== null) {
    // A pointer written before channel maps: its channel's newest release pinned the resources.
    const newest = await ctx.prisma.release.findFirst({ where: { channelId: entry.channelRowId, action: 'RELEASE' }, orderBy: { id: 'desc' }, select: { id: true } });
    releaseId = newest?.id ?? null;
  }
  if (releaseId === null) return [];
  return perField(
    ctx,
    info,
    () =>
      new DataLoader<number, ResourceRevision[]>(async (releaseIds) => {
        const pins = await ctx.prisma.releaseResource.findMany({
          where: { releaseId: { in: [...releaseIds] } },
          orderBy: { resourceRevisionId: 'asc' },
          select: { releaseId: true, resourceRevision: planned.select ? { select: planned.select } : true },
        });
        return releaseIds.map((id) => pins.filter((pin) => pin.releaseId === id).map((pin) => pin.resourceRevision as ResourceRevision));
      }),
  ).load(releaseId);
}
