import type { TrackView } from '../../services/channels/channel-state.js';
import { builder } from '../builder.js';
import { planChannelFields } from '../loaders/channel-plans.js';
import { ChannelType } from './channel.js';

export const TrackType = builder.objectRef<TrackView>('Track').implement({
  description: 'A track of a charm or bundle, e.g. "latest" or "2.0", with its four risks and live branches.',
  fields: (t) => ({
    name: t.exposeString('name', { description: 'The track name.' }),
    isDefault: t.exposeBoolean('isDefault', { description: 'Whether channels without a track mean this one.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When the track was created.' }),
    channels: t.field({
      type: [ChannelType],
      description: 'stable, candidate, beta and edge, each followed by its live branches; only channels you may read.',
      resolve: (track, _args, ctx, info) => {
        planChannelFields(ctx, info);
        return track.channels;
      },
    }),
  }),
});
