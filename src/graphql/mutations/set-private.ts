import { setPrivate } from '../../services/sharing/set-private.js';
import { builder } from '../builder.js';
import { entitySuccess } from '../entity-success.js';
import { AuthenticationError, NotFoundError, PermissionDeniedError, ValidationError } from '../errors.js';
import { resultUnion } from '../mutation-field.js';

const SetPrivateInput = builder.inputType('SetPrivateInput', {
  description: 'Whether an entity is private.',
  fields: (t) => ({
    url: t.string({ required: true, description: 'The charm or bundle, e.g. "cs:~kirk/foo".' }),
    private: t.boolean({
      required: true,
      description: 'false: everyone may read every released channel; true: only the principals on the ACLs (grants are kept either way).',
    }),
  }),
});

const SetPrivateSuccess = entitySuccess('SetPrivateSuccess', 'The entity is private or public as asked; this applies to the next request.');

builder.mutationField('setPrivate', (t) =>
  t.field({
    type: SetPrivateSuccess,
    description: 'Owners and admins: makes an entity public (everyone reads every released channel) or private again.',
    args: { input: t.arg({ type: SetPrivateInput, required: true, description: 'What to do; see the input type.' }) },
    errors: { types: [ValidationError, NotFoundError, PermissionDeniedError, AuthenticationError], ...resultUnion('setPrivate') },
    resolve: (_root, { input }, ctx) => setPrivate(ctx.services, input),
  }),
);
