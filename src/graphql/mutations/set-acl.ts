import { setAcl } from '../../services/sharing/set-acl.js';
import { builder } from '../builder.js';
import { entitySuccess } from '../entity-success.js';
import { AuthenticationError, NotFoundError, PermissionDeniedError, ValidationError } from '../errors.js';
import { resultUnion } from '../mutation-field.js';
import { AclKindEnum } from '../nodes/acl-entry.js';

const SetAclInput = builder.inputType('SetAclInput', {
  description: 'One ACL list of an entity, replaced as a whole.',
  fields: (t) => ({
    url: t.string({ required: true, description: 'The charm or bundle, e.g. "cs:~kirk/foo".' }),
    channel: t.string({ required: true, description: '"unpublished", a risk ("edge") or track/risk ("1.2/edge").' }),
    acl: t.field({ type: AclKindEnum, required: true, description: 'The read or the write list.' }),
    principals: t.stringList({ required: true, description: 'The whole new list (at least one): usernames, group names, or "everyone".' }),
  }),
});

const SetAclSuccess = entitySuccess('SetAclSuccess', 'The list holds exactly the given principals; this applies to the next request.');

builder.mutationField('setAcl', (t) =>
  t.field({
    type: SetAclSuccess,
    description: 'Owners and admins: replaces one read or write list of a channel with the given principals.',
    args: { input: t.arg({ type: SetAclInput, required: true, description: 'What to do; see the input type.' }) },
    errors: { types: [ValidationError, NotFoundError, PermissionDeniedError, AuthenticationError], ...resultUnion('setAcl') },
    resolve: (_root, { input }, ctx) => setAcl(ctx.services, input),
  }),
);
