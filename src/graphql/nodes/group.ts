import { maySeeGroupMembers } from '../../services/authorization/account-visibility.js';
import { getCaller } from '../../services/authorization/caller.js';
import { builder } from '../builder.js';
import { isOwn } from '../own-account.js';

export const GroupNode = builder.prismaNode('Group', {
  description: 'A named set of users that can own entities and be granted access. Shares the `~name` namespace with users.',
  id: { field: 'id' },
  nullable: true,
  fields: (t) => ({
    name: t.exposeString('name', { description: 'The group name, also its `~owner` namespace.' }),
    members: t.prismaField({
      type: ['User'],
      description: "The members of the group, by username: shown to the group's own members and to admins; empty for anybody else.",
      select: { id: true },
      resolve: async (query, group, _args, ctx) => {
        if (!isOwn(group) && !maySeeGroupMembers(await getCaller(ctx.services), group.id)) return [];
        return ctx.prisma.user.findMany({ ...query, where: { memberships: { some: { groupId: group.id } } }, orderBy: { username: 'asc' } });
      },
    }),
  }),
});
