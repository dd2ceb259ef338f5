import { revoke } from '../../services/sharing/revoke.js';
import { builder } from '../builder.js';
import { entitySuccess } from '../entity-success.js';
import { AuthenticationError, NotFoundError, PermissionDeniedError, ValidationError } from '../errors.js';
import { AclChangeInput } from '../inputs/acl-change-input.js';
import { resultUnion } from '../mutation-field.js';

const RevokeSuccess = entitySuccess('RevokeSuccess', 'The principals are off the list(s); this applies to their next request.');

builder.mutationField('revoke', (t) =>
  t.field({
    type: RevokeSuccess,
    description:
      'Owners and admins: removes principals from the read or write list of a channel, or from both when `acl` is omitted. No list may become empty.',
    args: { input: t.arg({ type: AclChangeInput, required: true, description: 'What to do; see the input type.' }) },
    errors: { types: [ValidationError, NotFoundError, PermissionDeniedError, AuthenticationError], ...resultUnion('revoke') },
    resolve: (_root, { input }, ctx) => revoke(ctx.services, input),
  }),
);
