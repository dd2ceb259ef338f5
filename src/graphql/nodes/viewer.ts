import type { Actor } from '../../services/context.js';
import { builder } from '../builder.js';

export const ViewerType = builder.objectRef<Actor>('Viewer').implement({
  description: 'Who you are in this request (whoami): your user, your groups and the limits of the token in use.',
  fields: (t) => ({
    user: t.prismaField({
      type: 'User',
      description: 'Your account.',
      resolve: async (query, actor, _args, ctx) => ctx.prisma.user.findUniqueOrThrow({ ...query, where: { id: actor.userId } }),
    }),
    groups: t.prismaField({
      type: ['Group'],
      description: 'The groups you belong to right now (membership changes apply to the next request).',
      resolve: (query, actor, _args, ctx) =>
        ctx.prisma.group.findMany({ ...query, where: { members: { some: { userId: actor.userId } } }, orderBy: { name: 'asc' } }),
    }),
    permissions: t.stringList({
      description: 'The permissions the token in use is limited to; empty when it carries all of your rights.',
      resolve: (actor) => actor.permissions,
    }),
    expiresAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'When the token in use stops working.',
      resolve: (actor) => actor.tokenExpiresAt,
    }),
  }),
});
