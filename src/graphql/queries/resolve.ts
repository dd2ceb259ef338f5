import { resolveChannel } from '../../services/channels/resolve.js';
import { builder } from '../builder.js';
import { NotFoundError, ValidationError } from '../errors.js';
import { BaseInput } from '../nodes/base.js';
import { ResolutionType } from '../nodes/resolution.js';

builder.queryField('resolve', (t) =>
  t.field({
    type: ResolutionType,
    description:
      'What a deploy or refresh of `url` from `channel` gets (default: the default track\'s stable), after falling back from closed channels to more stable ones. A url with a revision is refused: pass that revision as currentRevision to learn whether the channel is an UPGRADE or DOWNGRADE from it.',
    args: {
      url: t.arg.string({
        required: true,
        description:
          'The charm or bundle, without a revision: "cs:~kirk/foo", "foo". A series segment ("cs:~kirk/jammy/foo") asks for a revision that runs on it: the channel map entry for the base it stands for (ubuntu 22.04), never a revision for another series.',
      }),
      channel: t.arg.string({ description: 'A channel, full or partial ("stable", "2.0/edge", "latest/stable/hotfix-1").' }),
      currentRevision: t.arg.int({ description: 'The revision deployed now, to compare with.' }),
      instanceKey: t.arg.string({
        description:
          'An identifier of the deployed instance, the same at every refresh (e.g. the model UUID and application name). It decides, for a progressive release in progress, whether this instance gets the new revision: without it, the revision the others get.',
      }),
      base: t.arg({
        type: BaseInput,
        description:
          'The platform to serve: the revision the channel map holds for that OS release and architecture (after falling back per platform), with the resources released with it. Without it, the revision last released to the channel, or for a url with a series, the entry for that series\' base (amd64 first, then the other architectures it has). A base for another OS release than the url\'s series is a ValidationError.',
      }),
    },
    errors: { types: [NotFoundError, ValidationError], directResult: true, union: { name: 'ResolveResult', description: 'A Resolution, or why there is none.' } },
    resolve: (_root, args, ctx) => resolveChannel(ctx.services, args),
  }),
);
