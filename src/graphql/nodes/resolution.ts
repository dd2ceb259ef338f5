import DataLoader from 'dataloader';
import { perRequest } from '../../services/request-cache.js';
import type { GraphQLContext } from '../context.js';
import { archiveDownloadPath, withDownloadChannel } from '../../domain/download-paths.js';
import type { Resolution } from '../../services/channels/resolve.js';
import { builder } from '../builder.js';
import type { Entity, ResourceRevision, Revision } from '../../generated/prisma/client.js';
import { loadServingPart } from '../loaders/serving-channel.js';

const downloadTargetSelect = { id: true, number: true, entity: { select: { name: true, kind: true, namespace: { select: { name: true } } } } } as const;

/** What download urls are made of, by revision id: one statement for all the resolutions of a request (a refresh of 500). */
function downloadTargetLoader(ctx: GraphQLContext) {
  return perRequest(
    ctx.services,
    'resolution-download-targets',
    () =>
      new DataLoader(async (ids: readonly number[]) => {
        const rows = await ctx.prisma.revision.findMany({ where: { id: { in: [...ids] } }, select: downloadTargetSelect });
        return ids.map((id) => rows.find((row) => row.id === id) ?? new Error(`revision ${id} vanished`));
      }),
  );
}

export const RefreshActionEnum = builder.enumType('RefreshAction', {
  description: 'What moving from your current revision to the one a channel serves does.',
  values: {
    NONE: { description: 'Nothing: you have it already (or gave no current revision).' },
    UPGRADE: { description: 'The channel serves a higher revision.' },
    DOWNGRADE: { description: 'The channel now points below your revision (e.g. a mistaken release was undone).' },
  } as const,
});

export const ResolutionType = builder.objectRef<Resolution>('Resolution').implement({
  description: 'What a deploy or refresh from a channel gets.',
  fields: (t) => ({
    entity: t.prismaField({
      type: 'Entity',
      description: 'The charm or bundle.',
      resolve: async (query, resolution, _args, ctx) =>
        (await loadServingPart(ctx, { source: resolution.serving, part: 'entity', query })) as Entity,
    }),
    revision: t.prismaField({
      type: 'Revision',
      description: 'The revision served.',
      // The serving channel's pointer: the revision resolved.
      resolve: async (query, resolution, _args, ctx) =>
        (await loadServingPart(ctx, { source: resolution.serving, part: 'revision', query })) as Revision,
    }),
    downloadUrl: t.string({
      description:
        'Where to download the archive, with the serving channel for the download statistics: "/archives/~kirk/foo/9?channel=latest%2Fstable".',
      resolve: async (resolution, _args, ctx) => {
        const revision = await downloadTargetLoader(ctx).load(resolution.revisionId);
        const entity = { owner: revision.entity.namespace.name, name: revision.entity.name, isBundle: revision.entity.kind === 'BUNDLE' };
        return withDownloadChannel(archiveDownloadPath(entity, revision.number), resolution.channel);
      },
    }),
    channel: t.exposeString('channel', { description: 'The full channel that served it, after fall-back (e.g. "latest/stable").' }),
    requestedChannel: t.exposeString('requestedChannel', { description: 'The full form of the channel asked for ("1.2" -> "1.2/stable").' }),
    resources: t.prismaField({
      type: ['ResourceRevision'],
      description:
        'The resource revisions released together with that revision in the serving channel (for a base: with the release that set that platform\'s entry, so pins follow the base).',
      resolve: async (query, resolution, _args, ctx) =>
        (await loadServingPart(ctx, { source: resolution.serving, part: 'resources', query })) as ResourceRevision[],
    }),
    action: t.field({
      type: RefreshActionEnum,
      description: 'Against currentRevision: UPGRADE, DOWNGRADE when the channel now points lower, NONE when equal or not given.',
      resolve: (resolution) => resolution.action,
    }),
  }),
});
