import { isScopedToken } from '../../services/authorization/caller.js';
import type { Actor } from '../../services/context.js';
import { answerNotReusable } from '../../services/read-validity.js';
import { builder } from '../builder.js';
import { requireListedCursor } from '../cursors.js';
import { markOwn } from '../own-account.js';

export const ViewerType = builder.objectRef<Actor>('Viewer').implement({
  description: 'Who you are in this request (whoami): your user, your groups and the limits of the token in use.',
  fields: (t) => ({
    user: t.prismaField({
      type: 'User',
      description: 'Your account.',
      resolve: async (query, actor, _args, ctx) => markOwn(await ctx.prisma.user.findUniqueOrThrow({ ...query, where: { id: actor.userId } })),
    }),
    groups: t.prismaField({
      type: ['Group'],
      description: 'The groups you belong to right now (membership changes apply to the next request).',
      resolve: async (query, actor, _args, ctx) =>
        (await ctx.prisma.group.findMany({ ...query, where: { members: { some: { userId: actor.userId } } }, orderBy: { name: 'asc' } })).map(markOwn),
    }),
    permissions: t.stringList({
      description: 'The permissions the token in use is limited to; empty when it carries all of your rights.',
      resolve: (actor) => actor.permissions,
    }),
    entities: t.stringList({
      description: 'The entities (canonical urls) the token in use is limited to; empty when it is not limited.',
      resolve: (actor) => actor.entities,
    }),
    channels: t.stringList({
      description: 'The channels the token in use may release to or close; empty when it is not limited.',
      resolve: (actor) => actor.channels,
    }),
    tokens: t.prismaConnection({
      type: 'Token',
      cursor: 'id',
      description:
        'Your live tokens (not revoked, not expired), newest first. A scoped token sees only itself; a token without limits sees them all.',
      resolve: async (query, actor, args, ctx) => {
        // Tokens change without moving ReadVersion (their use time): an answer listing them is never kept.
        answerNotReusable(ctx.services);
        const where = {
          userId: actor.userId,
          revokedAt: null,
          expiresAt: { gt: ctx.services.now() },
          ...(isScopedToken(actor) ? { id: actor.tokenId } : {}),
        };
        await requireListedCursor(query, args, (key) => ctx.prisma.token.count({ where: { AND: [where, key] } }));
        return ctx.prisma.token.findMany({ ...query, where, orderBy: { id: 'desc' } });
      },
    }, { name: 'AccessTokenConnection', description: 'A page of your tokens, newest first.' }, { name: 'AccessTokenEdge', description: 'One token of the page.' }),
    expiresAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'When the token in use stops working.',
      resolve: (actor) => actor.tokenExpiresAt,
    }),
  }),
});
