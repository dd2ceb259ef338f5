import { prismaConnectionHelpers, queryFromInfo } from '@pothos/plugin-prisma';
import type { GraphQLResolveInfo } from 'graphql';
import { type ChannelBaseView, type ChannelView, type RolloutView, riskToDb } from '../../services/channels/channel-state.js';
import type { Prisma, Release } from '../../generated/prisma/client.js';
import { BaseRef } from './base.js';
import { builder } from '../builder.js';
import type { GraphQLContext } from '../context.js';
import { requireListedCursor } from '../cursors.js';
import { plannedForChannel, type RevisionQuery } from '../loaders/channel-plans.js';
import { loadHistory } from '../loaders/histories.js';
import { loadEntryPins } from '../loaders/entry-pins.js';
import { loadRevision } from '../loaders/revisions.js';
import { ReleaseNode } from './release.js';
import { RevisionNode } from './revision.js';

export const RiskEnum = builder.enumType('Risk', {
  description: 'How stable a channel is, from most to least stable. A closed risk falls back to the next more stable one.',
  values: {
    STABLE: { description: 'Production-ready.' },
    CANDIDATE: { description: 'Release candidates ("rc" in channel names).' },
    BETA: { description: 'Pre-release testing.' },
    EDGE: { description: 'Daily builds.' },
  } as const,
});

/** A progressive release in progress in a channel (or one platform of it). */
export const ProgressiveReleaseType = builder.objectRef<RolloutView>('ProgressiveRelease').implement({
  description:
    'A progressive release in progress: the revision goes to `percentage` per cent of the instances (decided by their instanceKey), the others get `previousRevision`.',
  fields: (t) => ({
    percentage: t.exposeInt('percentage', { description: 'The share of instances served the new revision, 1 to 99.' }),
    revision: t.prismaField({
      type: 'Revision',
      description: 'The revision being rolled out.',
      resolve: async (query, rollout, _args, ctx, info) => (await loadRevision(ctx, info, query, rollout.revisionId))!,
    }),
    previousRevision: t.prismaField({
      type: 'Revision',
      nullable: true,
      description: 'What the other instances get; null when the channel served nothing before (they fall back to a more stable channel).',
      resolve: (query, rollout, _args, ctx, info) => loadRevision(ctx, info, query, rollout.previousRevisionId),
    }),
  }),
});

/** What one channel serves to one platform. */
export const ChannelBaseType = builder.objectRef<ChannelBaseView>('ChannelBase').implement({
  description:
    'One entry of a channel map (Charmhub\'s channel x base): what the channel serves to one platform. A release occupies the platforms its revision declares and leaves the others\' entries alone.',
  fields: (t) => ({
    base: t.field({
      type: BaseRef,
      nullable: true,
      description:
        'The platform: an OS name and channel and one architecture ("all": every architecture without an entry of its own). null: the entry of revisions that declare no base (bundles), serving every platform without a more specific entry.',
      resolve: (entry) => entry.base,
    }),
    revision: t.prismaField({
      type: 'Revision',
      nullable: true,
      description: 'The revision this channel itself holds for the platform; null if it has none (never released there, or closed).',
      resolve: (query, entry, _args, ctx, info) => loadRevision(ctx, info, query, entry.revisionId),
    }),
    effectiveRevision: t.prismaField({
      type: 'Revision',
      nullable: true,
      description:
        'What a deploy on this platform gets: the channel\'s own entry, else what the next more stable risk serves to the platform (fall-back per platform); null if nothing (you may read).',
      resolve: (query, entry, _args, ctx, info) => loadRevision(ctx, info, query, entry.effectiveRevisionId),
    }),
    resources: t.prismaField({
      type: ['ResourceRevision'],
      description: 'The resource revisions pinned with this channel\'s own entry (by the release that set it); empty without one.',
      resolve: (query, entry, _args, ctx, info) => loadEntryPins(ctx, info, query, entry),
    }),
    follows: t.exposeString('follows', {
      nullable: true,
      description: 'When the channel has no entry of its own for the platform: the full name of the channel that serves it; null if none.',
    }),
    progressive: t.field({
      type: ProgressiveReleaseType,
      nullable: true,
      description: 'The progressive release in progress for this platform; null when the entry serves every instance.',
      resolve: (entry) => entry.progressive,
    }),
  }),
});

/**
 * A channel's revision (`revision`, `effectiveRevision`) with the selection planned once for the
 * whole list the channel came in (see channel-plans.ts), or for this channel alone when the field
 * that returned it planned nothing.
 */
function loadChannelRevision(ctx: GraphQLContext, info: GraphQLResolveInfo, id: number | null) {
  const query = plannedForChannel(ctx, info, 'revision') ?? (queryFromInfo({ context: ctx, info, skipDeferredFragments: true }) as RevisionQuery);
  // The row has what the planned selection asked for, the type-level selection included.
  return loadRevision(ctx, info, query, id) as Promise<typeof RevisionNode.$inferType | null>;
}

/** Relay paging of a channel's history by release id (the cursors `prismaConnection` made: same bytes). */
const historyPages = prismaConnectionHelpers(builder, 'Release', { cursor: 'id', defaultSize: 20, maxSize: 100 });

type HistoryQuery = Omit<Prisma.ReleaseFindManyArgs, 'where' | 'orderBy'> & { cursor?: object };
const historyQueries = new WeakMap<GraphQLContext, WeakMap<object, HistoryQuery>>();

/**
 * The query of a page of a channel's history: its page arguments and the selection planned for
 * the channel's list. Every channel of a request resolving the same `history` field has the same
 * arguments and selection (the same syntax nodes, one set of variables), so with a planned list the
 * query is built once per field; a channel planned alone records its own selection's mappings.
 */
function historyQuery(ctx: GraphQLContext, info: GraphQLResolveInfo, args: Parameters<typeof historyPages.getQuery>[0]): HistoryQuery {
  const planned = plannedForChannel(ctx, info, 'history');
  if (!planned) {
    const nodes = queryFromInfo({ context: ctx, info, typeName: 'Release', paths: [['edges', 'node']], skipDeferredFragments: true });
    return historyPages.getQuery(args, ctx, () => nodes) as HistoryQuery;
  }
  let byField = historyQueries.get(ctx);
  if (!byField) historyQueries.set(ctx, (byField = new WeakMap()));
  // The field's syntax nodes, not its first node: see per-field.ts.
  const field = info.fieldNodes;
  let query = byField.get(field);
  if (!query) byField.set(field, (query = historyPages.getQuery(args, ctx, () => planned) as HistoryQuery));
  return query;
}

/** A channel of an entity as the caller sees it. Only channels the caller may read are ever returned. */
export const ChannelType = builder.objectRef<ChannelView>('Channel').implement({
  description:
    'A channel `track/risk[/branch]` of a charm or bundle: its pointer, what a deploy from it gets after falling back to more stable risks, and its history.',
  fields: (t) => ({
    name: t.exposeString('name', { description: 'The full name, e.g. "latest/stable" or "2.0/edge/hotfix-1".' }),
    track: t.exposeString('track', { description: 'The track, e.g. "latest" or "2.0".' }),
    risk: t.field({
      type: RiskEnum,
      description: 'The risk: STABLE, CANDIDATE, BETA or EDGE.',
      resolve: (channel) => riskToDb(channel.risk),
    }),
    branch: t.exposeString('branch', { nullable: true, description: 'The branch, for `track/risk/branch` channels; null otherwise.' }),
    revision: t.field({
      type: RevisionNode,
      nullable: true,
      description:
        'The pointer set by the last release here (what resolve serves when no base is given); null if never released, closed, or an expired branch. With several platforms, `bases` has each platform\'s revision.',
      resolve: (channel, _args, ctx, info) => loadChannelRevision(ctx, info, channel.revisionId),
    }),
    closed: t.exposeBoolean('closed', { description: 'Closed by closeChannels, or a branch whose lifetime without releases ran out.' }),
    effectiveRevision: t.field({
      type: RevisionNode,
      nullable: true,
      description:
        'What a deploy from here gets: the pointer while open, else what the next more stable risk of the track serves; null if nothing (you may read) is served.',
      resolve: (channel, _args, ctx, info) => loadChannelRevision(ctx, info, channel.effectiveRevisionId),
    }),
    bases: t.field({
      type: [ChannelBaseType],
      description:
        'The channel map: one entry per platform any channel of the track holds (sorted by OS, release, architecture), each with this channel\'s own revision for it and what a deploy on it gets after falling back per platform.',
      resolve: (channel) => channel.bases(),
    }),
    progressive: t.field({
      type: ProgressiveReleaseType,
      nullable: true,
      description:
        'The progressive release in progress of the channel\'s own pointer (what clients naming no base get); null when it serves every instance. Platforms have theirs in `bases`.',
      resolve: (channel) => channel.progressive,
    }),
    follows: t.exposeString('follows', {
      nullable: true,
      description: 'When not open itself: the full name of the channel that serves it (after the whole fall-back); null if none.',
    }),
    expiresAt: t.expose('expiresAt', {
      type: 'DateTime',
      nullable: true,
      description: 'Branches only: when the branch closes unless released to again (in the past once it has).',
    }),
    history: t.connection({
      type: ReleaseNode,
      description: 'Every release and close here, newest first; re-releases included.',
      resolve: async (channel, args, ctx, info) => {
        const query = historyQuery(ctx, info, args);
        const channelId = channel.rowId;
        await requireListedCursor(query, args, async (key) => (channelId === null ? 0 : ctx.prisma.release.count({ where: { ...key, channelId } })));
        const releases = (await loadHistory(ctx, info, query, channelId)) as Release[];
        return historyPages.resolve(releases, args, ctx, channel);
      },
    }, { name: 'ReleaseConnection', description: 'A page of a channel\'s history, newest first.' }, { name: 'ReleaseEdge', description: 'One history entry in a page, with its cursor.' }),
  }),
});
