import { builder } from '../builder.js';

export const GroupNode = builder.prismaNode('Group', {
  description: 'A named set of users that can own entities and be granted access. Shares the `~name` namespace with users.',
  id: { field: 'id' },
  nullable: true,
  fields: (t) => ({
    name: t.exposeString('name', { description: 'The group name, also its `~owner` namespace.' }),
    members: t.prismaField({
      type: ['User'],
      description: 'The members of the group, by username.',
      resolve: (query, group, _args, ctx) =>
        ctx.prisma.user.findMany({ ...query, where: { memberships: { some: { groupId: group.id } } }, orderBy: { username: 'asc' } }),
    }),
  }),
});
