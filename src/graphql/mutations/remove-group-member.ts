import type { Group } from '../../generated/prisma/client.js';
import { removeGroupMember } from '../../services/accounts/group-membership.js';
import { builder } from '../builder.js';
import { AuthenticationError, NotFoundError, PermissionDeniedError } from '../errors.js';
import { GroupMemberInput } from '../inputs/group-member-input.js';
import { resultUnion } from '../mutation-field.js';
import { GroupNode } from '../nodes/group.js';

const RemoveGroupMemberSuccess = builder.objectRef<{ group: Group }>('RemoveGroupMemberSuccess').implement({
  description: 'The user is no longer a member; this applies to their very next request.',
  fields: (t) => ({ group: t.field({ type: GroupNode, description: 'The group, with its members now.', resolve: (result) => result.group }) }),
});

builder.mutationField('removeGroupMember', (t) =>
  t.field({
    type: RemoveGroupMemberSuccess,
    description: 'Admins (and the group\'s admins): removes a user from a group.',
    args: { input: t.arg({ type: GroupMemberInput, required: true, description: 'What to do; see the input type.' }) },
    errors: { types: [NotFoundError, PermissionDeniedError, AuthenticationError], ...resultUnion('removeGroupMember') },
    resolve: async (_root, { input }, ctx) => ({ group: await removeGroupMember(ctx.services, input) }),
  }),
);
