import { promulgate } from '../../services/names/promulgate.js';
import { builder } from '../builder.js';
import { entitySuccess } from '../entity-success.js';
import { AuthenticationError, NotFoundError, PermissionDeniedError, ValidationError } from '../errors.js';
import { resultUnion } from '../mutation-field.js';

const PromulgateInput = builder.inputType('PromulgateInput', {
  description: 'An entity to make recommended, or to stop recommending.',
  fields: (t) => ({
    url: t.string({ required: true, description: 'The charm or bundle, e.g. "cs:~kirk/foo".' }),
    promulgated: t.boolean({
      required: true,
      description: 'true: recommended, and the top-level name moves to it; false: community again (the top-level name stays bound to it).',
    }),
  }),
});

const PromulgateSuccess = entitySuccess('PromulgateSuccess', 'The entity is recommended (or not) as asked.');

builder.mutationField('promulgate', (t) =>
  t.field({
    type: PromulgateSuccess,
    description:
      'Admin only: promulgating binds the top-level name to the entity and marks it recommended, unpromulgating whatever held the name; unpromulgating drops the recommendation.',
    args: { input: t.arg({ type: PromulgateInput, required: true, description: 'What to do; see the input type.' }) },
    errors: { types: [ValidationError, NotFoundError, PermissionDeniedError, AuthenticationError], ...resultUnion('promulgate') },
    resolve: (_root, { input }, ctx) => promulgate(ctx.services, input),
  }),
);
