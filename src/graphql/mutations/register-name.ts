import { registerName } from '../../services/names/register-name.js';
import { builder } from '../builder.js';
import { entitySuccess } from '../entity-success.js';
import { AuthenticationError, ConflictError, PermissionDeniedError, ValidationError } from '../errors.js';
import { resultUnion } from '../mutation-field.js';
import { EntityKindEnum } from '../nodes/entity.js';

const RegisterNameInput = builder.inputType('RegisterNameInput', {
  description: 'A top-level name to claim, and the entity `~owner/name` to create for it.',
  fields: (t) => ({
    name: t.string({ required: true, description: 'Lowercase letters, digits and dashes, starting with a letter, e.g. "wiki-scaler".' }),
    owner: t.string({ description: 'You (the default) or a group you belong to; admins may name anyone.' }),
    kind: t.field({ type: EntityKindEnum, defaultValue: 'CHARM', description: 'Charm (default) or bundle.' }),
    private: t.boolean({ defaultValue: true, description: 'Private (the default): only the principals on the ACLs see it.' }),
  }),
});

const RegisterNameSuccess = entitySuccess('RegisterNameSuccess', 'The name is yours and the entity exists, with no revisions yet.');

builder.mutationField('registerName', (t) =>
  t.field({
    type: RegisterNameSuccess,
    description:
      'Claims a top-level name (`foo`, `cs:foo` then resolve to it) and creates the entity `~owner/name`. Taken or reserved names are a ConflictError.',
    args: { input: t.arg({ type: RegisterNameInput, required: true, description: 'What to do; see the input type.' }) },
    errors: { types: [ValidationError, PermissionDeniedError, ConflictError, AuthenticationError], ...resultUnion('registerName') },
    resolve: (_root, { input }, ctx) => registerName(ctx.services, input),
  }),
);
