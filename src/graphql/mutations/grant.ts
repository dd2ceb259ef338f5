import { grant } from '../../services/sharing/grant.js';
import { builder } from '../builder.js';
import { entitySuccess } from '../entity-success.js';
import { AuthenticationError, NotFoundError, PermissionDeniedError, ValidationError } from '../errors.js';
import { AclChangeInput } from '../inputs/acl-change-input.js';
import { resultUnion } from '../mutation-field.js';

const GrantSuccess = entitySuccess('GrantSuccess', 'The principals are on the list; this applies to their next request.');

builder.mutationField('grant', (t) =>
  t.field({
    type: GrantSuccess,
    description: 'Owners and admins: adds principals to a read (default) or write list of a channel ("stable" by default), like `charm grant`.',
    args: { input: t.arg({ type: AclChangeInput, required: true, description: 'What to do; see the input type.' }) },
    errors: { types: [ValidationError, NotFoundError, PermissionDeniedError, AuthenticationError], ...resultUnion('grant') },
    resolve: (_root, { input }, ctx) => grant(ctx.services, input),
  }),
);
