import { builder } from '../builder.js';

export const AccessTokenNode = builder.prismaObject('Token', {
  name: 'AccessToken',
  description: 'One of your bearer tokens (never its secret), with its limits.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'The token id, for revokeToken; audit events name it too.' }),
    description: t.exposeString('description', { nullable: true, description: 'What it is for ("login" for sign-ins).' }),
    permissions: t.exposeStringList('permissions', { description: 'The permissions it is limited to; empty = all of yours.' }),
    entities: t.exposeStringList('entities', { description: 'The entities (canonical urls) it is limited to; empty = all you may use.' }),
    channels: t.exposeStringList('channels', { description: 'The channels it may release to or close; empty = all you may.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When it was made.' }),
    expiresAt: t.expose('expiresAt', { type: 'DateTime', description: 'When it stops working.' }),
    lastUsedAt: t.expose('lastUsedAt', { type: 'DateTime', nullable: true, description: 'When it was last used (to the minute); null if never.' }),
    current: t.boolean({
      description: 'True for the token making this request.',
      resolve: (token, _args, ctx) => token.id === ctx.services.actor?.tokenId,
    }),
  }),
});
