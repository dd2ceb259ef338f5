import { listEntitiesWhere } from '../../services/entities/list-entities.js';
import { builder } from '../builder.js';
import { EntityKindEnum } from '../nodes/entity.js';

builder.queryField('entities', (t) =>
  t.prismaConnection({
    type: 'Entity',
    cursor: 'id',
    defaultSize: 20,
    maxSize: 100,
    description: 'The charms and bundles you may see, by name (then age); at most 100 per page.',
    args: {
      owner: t.arg.string({ description: 'Only those owned by this user or group.' }),
      kind: t.arg({ type: EntityKindEnum, description: 'Only charms or only bundles.' }),
    },
    resolve: async (query, _root, args, ctx) =>
      ctx.prisma.entity.findMany({
        ...query,
        where: await listEntitiesWhere(ctx.services, args),
        orderBy: [{ name: 'asc' }, { id: 'asc' }],
      }),
  }, { name: 'EntityConnection', description: 'A page of charms and bundles.' }, { name: 'EntityEdge', description: 'One charm or bundle in a page, with its cursor.' }),
);
