import { lookupEntity } from '../../services/entities/find-entity.js';
import { builder } from '../builder.js';

builder.queryField('entity', (t) =>
  t.prismaField({
    type: 'Entity',
    nullable: true,
    description:
      'The entity a url names (`cs:~kirk/foo`, `~kirk/foo`, `foo`, `cs:~kirk/bundle/wiki`); null when missing or not visible to you. A revision in the url is ignored.',
    args: { url: t.arg.string({ required: true, description: 'A charm store url, e.g. "cs:~kirk/foo" or "foo".' }) },
    resolve: async (query, _root, { url }, ctx) => {
      const found = await lookupEntity(ctx.services, url);
      return found ? ctx.prisma.entity.findUnique({ ...query, where: { id: found.access.entity.id } }) : null;
    },
  }),
);
