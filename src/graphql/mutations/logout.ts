import { logout } from '../../services/accounts/logout.js';
import { builder } from '../builder.js';
import { AuthenticationError, PermissionDeniedError } from '../errors.js';
import { resultUnion } from '../mutation-field.js';

const LogoutInput = builder.inputType('LogoutInput', {
  description: 'Which tokens to revoke.',
  fields: (t) => ({
    all: t.boolean({ defaultValue: false, description: 'Revoke every token of yours, not only the one in use.' }),
  }),
});

const LogoutSuccess = builder.objectRef<{ revoked: boolean; count: number }>('LogoutSuccess').implement({
  description: 'The token (or tokens) can no longer be used.',
  fields: (t) => ({
    revoked: t.exposeBoolean('revoked', { description: 'True when at least one token was revoked.' }),
    count: t.exposeInt('count', { description: 'How many tokens were revoked.' }),
  }),
});

builder.mutationField('logout', (t) =>
  t.field({
    type: LogoutSuccess,
    description: 'Revokes the token in use, or with `all: true` every token of yours.',
    args: { input: t.arg({ type: LogoutInput, required: true, description: 'What to do; see the input type.' }) },
    errors: { types: [AuthenticationError, PermissionDeniedError], ...resultUnion('logout') },
    resolve: async (_root, { input }, ctx) => {
      const count = await logout(ctx.services, { all: input.all ?? false });
      return { revoked: count > 0, count };
    },
  }),
);
