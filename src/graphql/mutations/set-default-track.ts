import { setDefaultTrack } from '../../services/channels/set-default-track.js';
import { builder } from '../builder.js';
import { entitySuccess } from '../entity-success.js';
import { AuthenticationError, NotFoundError, PermissionDeniedError, ValidationError } from '../errors.js';
import { resultUnion } from '../mutation-field.js';

const SetDefaultTrackInput = builder.inputType('SetDefaultTrackInput', {
  description: 'The track to make the default.',
  fields: (t) => ({
    url: t.string({ required: true, description: 'The charm or bundle: "cs:~kirk/foo".' }),
    track: t.string({ required: true, description: 'An existing track, e.g. "2.0".' }),
  }),
});

const SetDefaultTrackSuccess = entitySuccess('SetDefaultTrackSuccess', 'Channels without a track now mean the new default track.');

builder.mutationField('setDefaultTrack', (t) =>
  t.field({
    type: SetDefaultTrackSuccess,
    description: 'Owners and admins: makes an existing track the default ("edge" then means "<track>/edge").',
    args: { input: t.arg({ type: SetDefaultTrackInput, required: true, description: 'What to do; see the input type.' }) },
    errors: { types: [NotFoundError, PermissionDeniedError, AuthenticationError, ValidationError], ...resultUnion('setDefaultTrack') },
    resolve: async (_root, { input }, ctx) => ({ entityId: await setDefaultTrack(ctx.services, input) }),
  }),
);
