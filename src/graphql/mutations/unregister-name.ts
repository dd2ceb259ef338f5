import { unregisterName } from '../../services/names/unregister-name.js';
import { builder } from '../builder.js';
import { AuthenticationError, ConflictError, NotFoundError, PermissionDeniedError, ValidationError } from '../errors.js';
import { resultUnion } from '../mutation-field.js';

const UnregisterNameInput = builder.inputType('UnregisterNameInput', {
  description: 'A registered top-level name to give back.',
  fields: (t) => ({ name: t.string({ required: true, description: 'The top-level name, e.g. "wiki-scaler".' }) }),
});

const UnregisterNameSuccess = builder.objectRef<{ name: string }>('UnregisterNameSuccess').implement({
  description: 'The name is free again (or back on the reserved list) and its empty entity is gone.',
  fields: (t) => ({ name: t.exposeString('name', { description: 'The name given back.' }) }),
});

builder.mutationField('unregisterName', (t) =>
  t.field({
    type: UnregisterNameSuccess,
    description: 'Owners and admins: gives a registered name back and deletes its entity, which must have no revisions (ConflictError otherwise).',
    args: { input: t.arg({ type: UnregisterNameInput, required: true, description: 'What to do; see the input type.' }) },
    errors: { types: [ValidationError, NotFoundError, PermissionDeniedError, ConflictError, AuthenticationError], ...resultUnion('unregisterName') },
    resolve: (_root, { input }, ctx) => unregisterName(ctx.services, input),
  }),
);
