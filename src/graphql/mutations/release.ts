import type { Release as ReleaseRow } from '../../generated/prisma/client.js';
import { release } from '../../services/channels/release.js';
import { builder } from '../builder.js';
import { ReleaseNode } from '../nodes/release.js';
import { AuthenticationError, NotFoundError, PermissionDeniedError, ValidationError } from '../errors.js';
import { coversQuery } from '../known-rows.js';
import { resultUnion } from '../mutation-field.js';

const ResourcePinInput = builder.inputType('ResourcePinInput', {
  description: 'Pins one resource of the released revision to one of its revisions.',
  fields: (t) => ({
    name: t.string({ required: true, description: 'The resource name, as declared in metadata.yaml.' }),
    revision: t.int({ required: true, description: 'The resource revision to release with it.' }),
  }),
});

export const ProgressiveInput = builder.inputType('ProgressiveInput', {
  description:
    'A progressive release (as in the Snap Store): the revision goes to this share of the instances refreshing from the channel; the others keep what the channel served them before. Raise it, complete it or cancel it with updateProgressive.',
  fields: (t) => ({
    percentage: t.int({ required: true, description: 'The percentage of instances to serve the revision to, from 1 to 100 (100: every instance).' }),
  }),
});

const ReleaseInput = builder.inputType('ReleaseInput', {
  description: 'A revision and the channels to point at it.',
  fields: (t) => ({
    url: t.string({ required: true, description: 'The charm or bundle, optionally with the revision: "cs:~kirk/foo-9".' }),
    revision: t.int({ description: 'The revision, unless the url names it (if both, they must agree).' }),
    channels: t.stringList({
      required: true,
      description: 'Channels, full or partial ("stable", "2.0/edge", "latest/stable/hotfix-1"); all are released or none.',
    }),
    resources: t.field({
      type: [ResourcePinInput],
      description: 'Resource revisions to release with it; every other declared resource gets its newest revision.',
    }),
    progressive: t.field({ type: ProgressiveInput, description: 'Release to a share of the instances only (a progressive release); omitted: to every instance.' }),
  }),
});

const ReleaseSuccess = builder.objectRef<{ releases: ReleaseRow[] }>('ReleaseSuccess').implement({
  description: 'Each channel now points at the revision; one history entry per channel.',
  fields: (t) => ({
    releases: t.prismaField({
      type: [ReleaseNode],
      description: 'The new history entries, one per channel, in the order given.',
      // The rows the release wrote, not read again when they hold what the selection needs (known-rows.ts).
      resolve: async (query, result, _args, ctx) => {
        if (coversQuery(query, result.releases)) return result.releases;
        const read = await ctx.prisma.release.findMany({ ...query, where: { id: { in: result.releases.map((row) => row.id) } } });
        return result.releases.map((row) => read.find((found) => found.id === row.id)!);
      },
    }),
  }),
});

builder.mutationField('release', (t) =>
  t.field({
    type: ReleaseSuccess,
    description:
      'Points channels at a revision and records it in their histories, with the resource revisions that go with it. All channels or none. Releasing into a track that does not exist is refused: create it with createTrack.',
    args: { input: t.arg({ type: ReleaseInput, required: true, description: 'What to do; see the input type.' }) },
    errors: { types: [ValidationError, NotFoundError, PermissionDeniedError, AuthenticationError], ...resultUnion('release') },
    resolve: async (_root, { input }, ctx) => ({ releases: await release(ctx.services, input) }),
  }),
);
