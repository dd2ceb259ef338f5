import { builder } from '../builder.js';

export const UserNode = builder.prismaNode('User', {
  description: 'A person with an account. The username is also the `~username` owner namespace.',
  id: { field: 'id' },
  nullable: true,
  fields: (t) => ({
    username: t.exposeString('username', { description: 'The sign-in name, also the `~owner` namespace.' }),
    displayName: t.exposeString('displayName', { nullable: true, description: 'A human-friendly name.' }),
    isAdmin: t.exposeBoolean('isAdmin', { description: 'Store administrators may manage accounts and promulgate.' }),
    groups: t.prismaField({
      type: ['Group'],
      description: 'The groups this user belongs to, by name.',
      resolve: (query, user, _args, ctx) =>
        ctx.prisma.group.findMany({ ...query, where: { members: { some: { userId: user.id } } }, orderBy: { name: 'asc' } }),
    }),
  }),
});
