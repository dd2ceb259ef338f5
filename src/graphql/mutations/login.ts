import { login } from '../../services/accounts/login.js';
import type { Actor } from '../../services/context.js';
import { builder } from '../builder.js';
import { AuthenticationError, ValidationError } from '../errors.js';
import { resultUnion } from '../mutation-field.js';
import { ViewerType } from '../nodes/viewer.js';

const LoginInput = builder.inputType('LoginInput', {
  description: 'A username and password.',
  fields: (t) => ({
    username: t.string({ required: true, description: 'Your username.' }),
    password: t.string({ required: true, description: 'Your password.' }),
  }),
});

const LoginSuccess = builder.objectRef<{ token: string; viewer: Actor }>('LoginSuccess').implement({
  description: 'You are signed in. Send the token as `Authorization: Bearer <token>`.',
  fields: (t) => ({
    token: t.exposeString('token', { description: 'An opaque bearer token; the store keeps only its hash, so save it now.' }),
    viewer: t.field({ type: ViewerType, description: 'Who the token signs you in as.', resolve: (result) => result.viewer }),
  }),
});

builder.mutationField('login', (t) =>
  t.field({
    type: LoginSuccess,
    description: 'Signs in with a password and returns a bearer token (valid 30 days unless configured otherwise).',
    args: { input: t.arg({ type: LoginInput, required: true, description: 'What to do; see the input type.' }) },
    errors: { types: [AuthenticationError, ValidationError], ...resultUnion('login') },
    resolve: async (_root, { input }, ctx) => {
      const { token, actor } = await login(ctx.services, input);
      return { token, viewer: actor };
    },
  }),
);
