import { revokeToken } from '../../services/accounts/revoke-token.js';
import { builder } from '../builder.js';
import { AuthenticationError, NotFoundError, PermissionDeniedError } from '../errors.js';
import { resultUnion } from '../mutation-field.js';

const RevokeTokenInput = builder.inputType('RevokeTokenInput', {
  description: 'One of your tokens.',
  fields: (t) => ({ id: t.id({ required: true, description: 'The token id from `viewer { tokens { id } }`.' }) }),
});

const RevokeTokenSuccess = builder.objectRef<{ tokenId: number }>('RevokeTokenSuccess').implement({
  description: 'The token no longer works.',
  fields: (t) => ({ id: t.id({ description: 'The revoked token id.', resolve: (result) => String(result.tokenId) }) }),
});

builder.mutationField('revokeToken', (t) =>
  t.field({
    type: RevokeTokenSuccess,
    description: 'Revokes one of your tokens by id (a scoped token may only revoke itself).',
    args: { input: t.arg({ type: RevokeTokenInput, required: true, description: 'What to do; see the input type.' }) },
    errors: { types: [NotFoundError, PermissionDeniedError, AuthenticationError], ...resultUnion('revokeToken') },
    resolve: (_root, { input }, ctx) => revokeToken(ctx.services, { id: String(input.id) }),
  }),
);
