import type { Release as ReleaseRow } from '../../generated/prisma/client.js';
import { promote } from '../../services/channels/promote.js';
import { builder } from '../builder.js';
import { AuthenticationError, NotFoundError, PermissionDeniedError, ValidationError } from '../errors.js';
import { resultUnion } from '../mutation-field.js';
import { ReleaseNode } from '../nodes/release.js';

const PromoteInput = builder.inputType('PromoteInput', {
  description: 'The channel to promote from and the channels to release its revision to.',
  fields: (t) => ({
    url: t.string({ required: true, description: 'The charm or bundle, without a revision: "cs:~kirk/foo".' }),
    from: t.string({ required: true, description: 'The channel whose revision (and resource revisions) to promote, full or partial: "edge", "2.0/candidate". What a deploy from it gets, after fall-back; refused while it serves a progressive release in progress.' }),
    to: t.stringList({ required: true, description: 'The channels to release it to ("beta", "2.0/stable"); all are released or none.' }),
  }),
});

const PromoteSuccess = builder.objectRef<{ from: string; releases: ReleaseRow[] }>('PromoteSuccess').implement({
  description: 'Each target channel now serves what `from` served; one history entry per channel.',
  fields: (t) => ({
    from: t.exposeString('from', { description: 'The full name of the channel whose release was promoted: `from` itself, or the channel it fell back to.' }),
    releases: t.field({
      type: [ReleaseNode],
      description: 'The new history entries, one per target channel, in the order given.',
      resolve: (result) => result.releases,
    }),
  }),
});

builder.mutationField('promote', (t) =>
  t.field({
    type: PromoteSuccess,
    description:
      'Releases what a channel serves now (its revision, with the resource revisions released with it) to other channels, in one step: nothing can be released between reading `from` and writing the targets. The targets record ordinary releases.',
    args: { input: t.arg({ type: PromoteInput, required: true, description: 'What to do; see the input type.' }) },
    errors: { types: [ValidationError, NotFoundError, PermissionDeniedError, AuthenticationError], ...resultUnion('promote') },
    resolve: (_root, { input }, ctx) => promote(ctx.services, input),
  }),
);
