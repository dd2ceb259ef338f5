import { setTrackGuardrail } from '../../services/channels/set-track-guardrail.js';
import { builder } from '../builder.js';
import { entitySuccess } from '../entity-success.js';
import { AuthenticationError, NotFoundError, PermissionDeniedError, ValidationError } from '../errors.js';
import { resultUnion } from '../mutation-field.js';

const SetTrackGuardrailInput = builder.inputType('SetTrackGuardrailInput', {
  description: 'A guardrail pattern for an entity\'s track names.',
  fields: (t) => ({
    url: t.string({ required: true, description: 'The charm or bundle: "cs:~kirk/foo".' }),
    pattern: t.string({
      description: 'A regular expression matched against whole track names, e.g. "\\\\d+\\\\.\\\\d+"; null or "" removes the guardrail.',
    }),
  }),
});

const SetTrackGuardrailSuccess = entitySuccess('SetTrackGuardrailSuccess', 'Writers may now create tracks matching the pattern.');

builder.mutationField('setTrackGuardrail', (t) =>
  t.field({
    type: SetTrackGuardrailSuccess,
    description: 'Admin only: lets the entity\'s channel writers create tracks whose names match a pattern themselves.',
    args: { input: t.arg({ type: SetTrackGuardrailInput, required: true, description: 'What to do; see the input type.' }) },
    errors: { types: [ValidationError, NotFoundError, PermissionDeniedError, AuthenticationError], ...resultUnion('setTrackGuardrail') },
    resolve: async (_root, { input }, ctx) => ({ entityId: await setTrackGuardrail(ctx.services, input) }),
  }),
);
