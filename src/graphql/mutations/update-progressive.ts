import type { Release as ReleaseRow } from '../../generated/prisma/client.js';
import { updateProgressive } from '../../services/channels/update-progressive.js';
import { builder } from '../builder.js';
import { AuthenticationError, NotFoundError, PermissionDeniedError, ValidationError } from '../errors.js';
import { resultUnion } from '../mutation-field.js';
import { ReleaseNode } from '../nodes/release.js';

const UpdateProgressiveInput = builder.inputType('UpdateProgressiveInput', {
  description: 'Moves the progressive releases in progress in some channels: to a new percentage (100 completes them), or cancelled. Give percentage or cancel.',
  fields: (t) => ({
    url: t.string({ required: true, description: 'The charm or bundle, e.g. "cs:~kirk/foo".' }),
    channels: t.stringList({ required: true, description: 'Channels with a progressive release in progress, full or partial ("stable", "2.0/edge"); all or none.' }),
    percentage: t.int({
      description: 'The new share of instances, 1 to 100; 100 completes the rollout (every instance gets the revision). Instances that had the revision keep it when it grows.',
    }),
    cancel: t.boolean({ description: 'true: cancel the rollout, every instance gets what it replaced again (or falls back when it replaced nothing).' }),
  }),
});

const UpdateProgressiveSuccess = builder.objectRef<{ releases: ReleaseRow[] }>('UpdateProgressiveSuccess').implement({
  description: 'The rollouts moved; each move is a history entry of its channel.',
  fields: (t) => ({
    releases: t.field({ type: [ReleaseNode], description: 'The new history entries, channel by channel.', resolve: (result) => result.releases }),
  }),
});

builder.mutationField('updateProgressive', (t) =>
  t.field({
    type: UpdateProgressiveSuccess,
    description:
      'Raises (or lowers), completes (percentage: 100) or cancels the progressive releases in progress in channels, like re-running the Snap Store\'s `release --progressive`. A channel with no rollout in progress is refused.',
    args: { input: t.arg({ type: UpdateProgressiveInput, required: true, description: 'What to do; see the input type.' }) },
    errors: { types: [ValidationError, NotFoundError, PermissionDeniedError, AuthenticationError], ...resultUnion('updateProgressive') },
    resolve: async (_root, { input }, ctx) => ({ releases: await updateProgressive(ctx.services, input) }),
  }),
);
