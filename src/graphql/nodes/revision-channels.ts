import { revisionChannels } from '../../services/channels/channel-state.js';
import { builder } from '../builder.js';

builder.prismaObjectField('Revision', 'channels', (t) =>
  t.stringList({
    description: 'Full names of the channels (that you may read) holding this revision now: as their pointer, or for some platform of their map.',
    resolve: (revision, _args, ctx) => revisionChannels(ctx.services, revision.entityId, revision.id),
  }),
);
