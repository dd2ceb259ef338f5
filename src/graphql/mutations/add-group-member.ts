import type { Group } from '../../generated/prisma/client.js';
import { addGroupMember } from '../../services/accounts/group-membership.js';
import { builder } from '../builder.js';
import { AuthenticationError, NotFoundError, PermissionDeniedError } from '../errors.js';
import { GroupMemberInput } from '../inputs/group-member-input.js';
import { resultUnion } from '../mutation-field.js';
import { GroupNode } from '../nodes/group.js';

const AddGroupMemberSuccess = builder.objectRef<{ group: Group }>('AddGroupMemberSuccess').implement({
  description: 'The user is a member; this applies to their very next request.',
  fields: (t) => ({ group: t.field({ type: GroupNode, description: 'The group, with its members now.', resolve: (result) => result.group }) }),
});

builder.mutationField('addGroupMember', (t) =>
  t.field({
    type: AddGroupMemberSuccess,
    description: 'Admins (and the group\'s admins): adds a user to a group.',
    args: { input: t.arg({ type: GroupMemberInput, required: true, description: 'What to do; see the input type.' }) },
    errors: { types: [NotFoundError, PermissionDeniedError, AuthenticationError], ...resultUnion('addGroupMember') },
    resolve: async (_root, { input }, ctx) => ({ group: await addGroupMember(ctx.services, input) }),
  }),
);
