import type { Group } from '../../generated/prisma/client.js';
import { createGroup } from '../../services/accounts/create-group.js';
import { builder } from '../builder.js';
import { AuthenticationError, ConflictError, PermissionDeniedError, ValidationError } from '../errors.js';
import { resultUnion } from '../mutation-field.js';
import { GroupNode } from '../nodes/group.js';

const CreateGroupInput = builder.inputType('CreateGroupInput', {
  description: 'A new group. Names follow the user name rules and share their namespace.',
  fields: (t) => ({ name: t.string({ required: true, description: 'The group name, also its `~name` namespace.' }) }),
});

export const CreateGroupSuccess = builder.objectRef<{ group: Group }>('CreateGroupSuccess').implement({
  description: 'The group exists.',
  fields: (t) => ({ group: t.field({ type: GroupNode, description: 'The new group.', resolve: (result) => result.group }) }),
});

builder.mutationField('createGroup', (t) =>
  t.field({
    type: CreateGroupSuccess,
    description: 'Admin only: creates a group.',
    args: { input: t.arg({ type: CreateGroupInput, required: true, description: 'What to do; see the input type.' }) },
    errors: { types: [ValidationError, PermissionDeniedError, ConflictError, AuthenticationError], ...resultUnion('createGroup') },
    resolve: async (_root, { input }, ctx) => ({ group: await createGroup(ctx.services, input) }),
  }),
);
