import { parseEntityUrl } from '../../domain/entity-url.js';
import { ValidationError } from '../../domain/errors.js';
import { findEntity } from '../../services/entities/find-entity.js';
import { builder } from '../builder.js';

builder.queryField('entity', (t) =>
  t.prismaField({
    type: 'Entity',
    nullable: true,
    description:
      'The entity a url names (`cs:~kirk/foo`, `~kirk/foo`, `foo`, `cs:~kirk/bundle/wiki`); null when missing or not visible to you. A revision in the url is ignored.',
    args: { url: t.arg.string({ required: true, description: 'A charm store url, e.g. "cs:~kirk/foo" or "foo".' }) },
    resolve: async (query, _root, { url }, ctx) => {
      let parsed;
      try {
        parsed = parseEntityUrl(url);
      } catch (error) {
        if (error instanceof ValidationError) return null;
        throw error;
      }
      const access = await findEntity(ctx.services, parsed);
      return access ? ctx.prisma.entity.findUnique({ ...query, where: { id: access.entity.id } }) : null;
    },
  }),
);
