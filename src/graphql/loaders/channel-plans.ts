import { queryFromInfo } from '@pothos/plugin-prisma';
import type { GraphQLResolveInfo } from 'graphql';
import type { Prisma } from '../../generated/prisma/client.js';
import type { GraphQLContext } from '../context.js';

type Path = GraphQLResolveInfo['path'];
export type RevisionQuery = { select?: Prisma.RevisionSelect; include?: Prisma.RevisionInclude };

/** The selections Pothos planned for the Prisma-backed fields of the channels of one list. */
interface ChannelPlans {
  /** For `revision` and `effectiveRevision` together (one plan, so the revision batch merges nothing). */
  revision: RevisionQuery | null;
  /** For the nodes of `history`. */
  history: Prisma.ReleaseFindManyArgs | null;
}

const plansByList = new WeakMap<GraphQLContext, WeakMap<Path, ChannelPlans>>();

/**
 * Plans the Prisma selections of the channels a field returns (`channelMap`,
 * `tracks.channels`, `channel`) once for all of them, with Pothos'
 * `queryFromInfo` and its `paths` option, instead of once per channel and
 * field: planning (walking the selection, building the query and recording
 * the mappings the nested Revision and Release fields read) was the largest
 * share of a dashboard page's CPU, paid by ~700 channels three times each.
 * The mappings are recorded under the list field's path, which is the
 * ancestor the nested fields of every channel of the list look them up by.
 * Call it from the resolver of a field returning channels.
 */
export function planChannelFields(ctx: GraphQLContext, info: GraphQLResolveInfo): void {
  let byList = plansByList.get(ctx);
  if (!byList) plansByList.set(ctx, (byList = new WeakMap()));
  if (byList.has(info.path)) return;
  byList.set(info.path, {
    revision: planned(ctx, info, 'Revision', [['revision'], ['effectiveRevision']]),
    history: planned(ctx, info, 'Release', [['history', 'edges', 'node']]),
  });
}

function planned<Q>(ctx: GraphQLContext, info: GraphQLResolveInfo, typeName: string, paths: string[][]): Q | null {
  const fieldNames = new Set(paths.map((path) => path[0]));
  // Nothing to plan when no channel field asks for it (the plan would come back empty anyway).
  if (!info.fieldNodes.some((node) => node.selectionSet?.selections.some((selection) => selection.kind !== 'Field' || fieldNames.has(selection.name.value)))) return null;
  return queryFromInfo({ context: ctx, info, typeName, paths, skipDeferredFragments: true }) as Q;
}

/**
 * The selection planned for `field` of the channel a resolver resolves, by
 * the field that returned the channel (a list's path is the parent of the
 * channel's index), or null when that field planned nothing (the caller then
 * plans for its row alone).
 */
export function plannedForChannel<K extends keyof ChannelPlans>(ctx: GraphQLContext, info: GraphQLResolveInfo, field: K): ChannelPlans[K] {
  const channel = info.path.prev;
  const list = channel && typeof channel.key === 'number' ? channel.prev : channel;
  return (list && plansByList.get(ctx)?.get(list)?.[field]) ?? null;
}
