import { closeChannels } from '../../services/channels/close-channels.js';
import { builder } from '../builder.js';
import { entitySuccess } from '../entity-success.js';
import { AuthenticationError, NotFoundError, PermissionDeniedError, ValidationError } from '../errors.js';
import { resultUnion } from '../mutation-field.js';

const CloseChannelsInput = builder.inputType('CloseChannelsInput', {
  description: 'Channels to close.',
  fields: (t) => ({
    url: t.string({ required: true, description: 'The charm or bundle: "cs:~kirk/foo".' }),
    channels: t.stringList({ required: true, description: 'Channels, full or partial ("beta", "2.0/edge/hotfix-1"); all are closed or none.' }),
  }),
});

const CloseChannelsSuccess = entitySuccess('CloseChannelsSuccess', 'The channels are closed; each history records the close.');

builder.mutationField('closeChannels', (t) =>
  t.field({
    type: CloseChannelsSuccess,
    description:
      'Closes channels: a closed risk falls back to the next more stable risk of its track (a closed stable serves nothing), a closed branch to its track/risk.',
    args: { input: t.arg({ type: CloseChannelsInput, required: true, description: 'What to do; see the input type.' }) },
    errors: { types: [ValidationError, NotFoundError, PermissionDeniedError, AuthenticationError], ...resultUnion('closeChannels') },
    resolve: async (_root, { input }, ctx) => ({ entityId: await closeChannels(ctx.services, input) }),
  }),
);
