import { maySeeUserDetails, visibleMembershipGroupIds } from '../../services/authorization/account-visibility.js';
import { getCaller } from '../../services/authorization/caller.js';
import { builder } from '../builder.js';
import { isOwn, markOwn } from '../own-account.js';

export const UserNode = builder.prismaNode('User', {
  description: 'A person with an account. The username is also the `~username` owner namespace.',
  id: { field: 'id' },
  nullable: true,
  fields: (t) => ({
    username: t.exposeString('username', { description: 'The sign-in name, also the `~owner` namespace.' }),
    displayName: t.exposeString('displayName', { nullable: true, description: 'A human-friendly name.' }),
    isAdmin: t.boolean({
      nullable: true,
      description: 'Store administrators may manage accounts and promulgate. Null unless you are this user or an admin.',
      select: { id: true, isAdmin: true },
      resolve: async (user, _args, ctx) => (isOwn(user) || maySeeUserDetails(await getCaller(ctx.services), user.id) ? user.isAdmin : null),
    }),
    groups: t.prismaField({
      type: ['Group'],
      description: 'The groups this user belongs to, by name: all of them for the user and admins; for anybody else, only the groups they belong to as well.',
      select: { id: true },
      resolve: async (query, user, _args, ctx) => {
        const own = isOwn(user);
        const visible = own ? null : visibleMembershipGroupIds(await getCaller(ctx.services), user.id);
        const groups = await ctx.prisma.group.findMany({
          ...query,
          where: { members: { some: { userId: user.id } }, ...(visible === null ? {} : { id: { in: [...visible] } }) },
          orderBy: { name: 'asc' },
        });
        // Your own groups show you their members.
        return own ? groups.map(markOwn) : groups;
      },
    }),
  }),
});
