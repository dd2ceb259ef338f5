import DataLoader from 'dataloader';
import type { GraphQLResolveInfo } from 'graphql';
import type { Prisma } from '../../generated/prisma/client.js';
import type { GraphQLContext } from '../context.js';
import { perField } from './per-field.js';

/** What Pothos plans for a page of a channel's history: the selection plus take/skip/cursor. */
type HistoryQuery = Omit<Prisma.ReleaseFindManyArgs, 'where' | 'orderBy'>;

/**
 * A page of a channel's history (newest first) with the planned selection.
 * First pages (no cursor: what dashboards ask for) of every channel a
 * request shows are batched into one statement: the channels are read with
 * their newest `take` releases nested, which relation joins turn into one
 * LATERAL subquery per channel, `ORDER BY id DESC LIMIT take` on the
 * (channelId, id) index. Pages after a cursor are rare and run alone.
 */
export function loadHistory(ctx: GraphQLContext, info: GraphQLResolveInfo, query: HistoryQuery, channelId: number | null) {
  // Spread before the short cut, so Pothos sees the planned selection honoured either way.
  const planned = { ...query };
  // A channel never released to or closed has no row, hence no history.
  if (channelId === null) return [];
  const { take, skip, cursor, ...selection } = planned;
  if (cursor !== undefined || (skip ?? 0) !== 0 || take === undefined || take <= 0) {
    return ctx.prisma.release.findMany({ ...planned, where: { channelId }, orderBy: { id: 'desc' } });
  }
  return perField(
    ctx,
    info,
    () =>
      new DataLoader<number, unknown[]>(async (channelIds) => {
        const channels = await ctx.prisma.channel.findMany({
          where: { id: { in: [...channelIds] } },
          select: { id: true, history: { ...selection, orderBy: { id: 'desc' }, take } },
        });
        const byId = new Map(channels.map((channel) => [channel.id, channel.history as unknown[]]));
        return channelIds.map((id) => byId.get(id) ?? []);
      }),
  ).load(channelId);
}
