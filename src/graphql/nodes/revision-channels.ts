import { revisionChannels } from '../../services/channels/channel-state.js';
import { builder } from '../builder.js';

builder.prismaObjectField('Revision', 'channels', (t) =>
  t.stringList({
    description: 'Full names of the channels (that you may read) whose pointer is this revision now.',
    resolve: (revision, _args, ctx) => revisionChannels(ctx.services, revision.entityId, revision.id),
  }),
);
