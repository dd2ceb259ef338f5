import { entityAccessLoader } from '../../services/entities/find-entity.js';
import { builder } from '../builder.js';

export const AuditEventNode = builder.prismaObject('AuditEvent', {
  description: 'One change to the store: who did what, to what, when, with a summary of before and after.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'The event number; later events have larger ones.' }),
    action: t.exposeString('action', { description: 'What was done, e.g. "grant", "revoke", "set-private", "promulgate", "register-name", "push", "release", "promote".' }),
    actor: t.string({
      nullable: true,
      description: 'The username of who did it; null for the store itself (start-up).',
      select: { actor: { select: { username: true } } },
      resolve: (event) => event.actor?.username ?? null,
    }),
    tokenId: t.exposeID('tokenId', { nullable: true, description: 'The id of the token used, as in `viewer { tokens }`.' }),
    target: t.exposeString('target', { nullable: true, description: 'What was acted on: an entity url, a name, a user or group.' }),
    before: t.expose('before', { type: 'JSON', nullable: true, description: 'The relevant state before the change.' }),
    after: t.expose('after', { type: 'JSON', nullable: true, description: 'The relevant state after the change.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When it happened.' }),
    entity: t.prismaField({
      type: 'Entity',
      nullable: true,
      description: 'The charm or bundle concerned, when there is one, it still exists, and you may see it.',
      select: { entityId: true },
      resolve: async (query, event, _args, ctx) => {
        if (event.entityId === null) return null;
        const access = await entityAccessLoader(ctx.services).load(event.entityId);
        return access ? ctx.prisma.entity.findUnique({ ...query, where: { id: event.entityId } }) : null;
      },
    }),
    url: t.string({
      nullable: true,
      description: 'The canonical url of the charm or bundle concerned, when there is one that still exists and you may see it.',
      select: { entityId: true },
      resolve: async (event, _args, ctx) => (event.entityId === null ? null : ((await entityAccessLoader(ctx.services).load(event.entityId))?.url ?? null)),
    }),
  }),
});
