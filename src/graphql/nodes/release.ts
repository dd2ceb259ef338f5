import { formatChannel } from '../../domain/channel.js';
import { riskFromDb } from '../../services/channels/channel-state.js';
import { builder } from '../builder.js';
import type { Base } from '../../domain/bases.js';
import { BaseRef } from './base.js';
import { ResourceRevisionNode } from './resource-revision.js';

export const ReleaseActionEnum = builder.enumType('ReleaseAction', {
  description: 'What a history entry did to its channel.',
  values: {
    RELEASE: { description: 'Pointed the channel at a revision.' },
    CLOSE: { description: 'Closed the channel: it falls back to a more stable one.' },
  } as const,
});

/** One entry of a channel's history. Only reachable through a channel the caller may read. */
export const ReleaseNode = builder.prismaObject('Release', {
  description: 'One entry of a channel\'s history: a release of a revision (with its pinned resource revisions) or a close.',
  fields: (t) => ({
    channel: t.string({
      description: 'The full name of the channel, e.g. "latest/stable".',
      select: { channel: { select: { track: true, risk: true, branch: true } } },
      resolve: ({ channel }) => formatChannel({ track: channel.track, risk: riskFromDb(channel.risk), branch: channel.branch || null }),
    }),
    action: t.field({ type: ReleaseActionEnum, description: 'A release or a close.', resolve: (release) => release.action }),
    revision: t.relation('revision', { nullable: true, description: 'The revision released; null for a close.' }),
    resources: t.field({
      type: [ResourceRevisionNode],
      description: 'The resource revisions released together with the revision (empty for a close).',
      select: (_args, _ctx, nestedSelection) => ({
        resources: { select: { resourceRevision: nestedSelection({ select: { resource: { select: { name: true } } } }) } },
      }),
      resolve: (release) =>
        release.resources.map((pin) => pin.resourceRevision).sort((a, b) => a.resource.name.localeCompare(b.resource.name)),
    }),
    bases: t.field({
      type: [BaseRef],
      description:
        'The platforms the entry occupied (a release: those its revision declares, or for promote those it was served to) or closed (a close). Empty for a revision that declares no base (bundles: every platform).',
      select: { bases: true },
      resolve: (release) => release.bases as unknown as Base[],
    }),
    progressivePercentage: t.exposeInt('progressivePercentage', {
      nullable: true,
      description:
        'For a progressive release: the percentage of instances it served the revision to from then on (a raise, a completion at 100 and a cancel are entries of their own); null for a release to every instance and for a close.',
    }),
    releasedAt: t.expose('createdAt', { type: 'DateTime', description: 'When it happened.' }),
    releasedBy: t.string({
      description: 'Who did it (username).',
      select: { createdBy: { select: { username: true } } },
      resolve: (release) => release.createdBy.username,
    }),
  }),
});
