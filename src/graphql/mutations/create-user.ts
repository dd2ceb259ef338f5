import type { User } from '../../generated/prisma/client.js';
import { createUser } from '../../services/accounts/create-user.js';
import { builder } from '../builder.js';
import { AuthenticationError, ConflictError, PermissionDeniedError, ValidationError } from '../errors.js';
import { resultUnion } from '../mutation-field.js';
import { UserNode } from '../nodes/user.js';

const CreateUserInput = builder.inputType('CreateUserInput', {
  description: 'A new account. Names: letters, digits, ".", "+", "-"; "everyone" is reserved.',
  fields: (t) => ({
    username: t.string({ required: true, description: 'The sign-in name, also the `~username` namespace.' }),
    password: t.string({ required: true, description: 'At least 8 characters.' }),
    displayName: t.string({ description: 'A human-friendly name (at most 200 characters).' }),
    isAdmin: t.boolean({ defaultValue: false, description: 'Make the user a store administrator.' }),
  }),
});

const CreateUserSuccess = builder.objectRef<{ user: User }>('CreateUserSuccess').implement({
  description: 'The account exists.',
  fields: (t) => ({ user: t.field({ type: UserNode, description: 'The new account.', resolve: (result) => result.user }) }),
});

builder.mutationField('createUser', (t) =>
  t.field({
    type: CreateUserSuccess,
    description: 'Admin only: creates a user account.',
    args: { input: t.arg({ type: CreateUserInput, required: true, description: 'What to do; see the input type.' }) },
    errors: { types: [ValidationError, PermissionDeniedError, ConflictError, AuthenticationError], ...resultUnion('createUser') },
    resolve: async (_root, { input }, ctx) => ({ user: await createUser(ctx.services, input) }),
  }),
);
