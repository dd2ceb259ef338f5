import { entityChannel, entityTracks } from '../../services/channels/channel-state.js';
import { builder } from '../builder.js';
import { planChannelFields } from '../loaders/channel-plans.js';
import { ChannelType } from './channel.js';
import { TrackType } from './track.js';

builder.prismaObjectFields('Entity', (t) => ({
  trackGuardrail: t.exposeString('trackGuardrail', {
    nullable: true,
    description: 'Set by an admin: a regular expression; writers may create tracks whose whole name matches it.',
  }),
  tracks: t.field({
    type: [TrackType],
    description: 'The tracks, default first, each with the channels you may read.',
    resolve: (entity, _args, ctx) => entityTracks(ctx.services, entity.id),
  }),
  channelMap: t.field({
    type: [ChannelType],
    description:
      'Every channel of every track that you may read: default track first, stable..edge, live branches after their risk.',
    resolve: async (entity, _args, ctx, info) => {
      planChannelFields(ctx, info);
      return (await entityTracks(ctx.services, entity.id)).flatMap((track) => track.channels);
    },
  }),
  channel: t.field({
    type: ChannelType,
    nullable: true,
    description:
      'One channel by name; partial names are accepted ("edge" = <default track>/edge, "2.0" = 2.0/stable). Null when malformed, in a track that does not exist, a branch never released to, or not readable by you.',
    args: { name: t.arg.string({ required: true, description: 'A channel name such as "stable", "2.0/edge" or "latest/stable/hotfix-1".' }) },
    resolve: (entity, { name }, ctx, info) => {
      planChannelFields(ctx, info);
      return entityChannel(ctx.services, entity.id, name);
    },
  }),
}));
