import { createTrack } from '../../services/channels/create-track.js';
import { builder } from '../builder.js';
import { entitySuccess } from '../entity-success.js';
import { AuthenticationError, ConflictError, NotFoundError, PermissionDeniedError, ValidationError } from '../errors.js';
import { resultUnion } from '../mutation-field.js';

const CreateTrackInput = builder.inputType('CreateTrackInput', {
  description: 'A new track.',
  fields: (t) => ({
    url: t.string({ required: true, description: 'The charm or bundle: "cs:~kirk/foo".' }),
    name: t.string({
      required: true,
      description: 'At most 28 letters and digits, optionally separated by single ".", "_" or "-", e.g. "2.0".',
    }),
  }),
});

const CreateTrackSuccess = entitySuccess('CreateTrackSuccess', 'The track exists, with its four risks ready to be released to.');

builder.mutationField('createTrack', (t) =>
  t.field({
    type: CreateTrackSuccess,
    description: 'Adds a track. Owners and admins may; writers too when the name matches the entity\'s track guardrail.',
    args: { input: t.arg({ type: CreateTrackInput, required: true, description: 'What to do; see the input type.' }) },
    errors: {
      types: [ValidationError, NotFoundError, PermissionDeniedError, ConflictError, AuthenticationError],
      ...resultUnion('createTrack'),
    },
    resolve: async (_root, { input }, ctx) => ({ entityId: await createTrack(ctx.services, input) }),
  }),
);
