import { GraphQLError } from 'graphql';
import { ValidationError } from '../../domain/errors.js';
import { listEntitiesWhere } from '../../services/entities/list-entities.js';
import { searchEntityIds } from '../../services/entities/search-entities.js';
import { builder } from '../builder.js';
import { requireListedCursor } from '../cursors.js';
import { BaseFilterInput } from '../inputs/base-filter-input.js';
import { EntityKindEnum } from '../nodes/entity.js';

/** A listing has no error union (it is a connection): a refused filter is a GraphQL error saying which argument is wrong. */
async function refusingBadInput<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if (error instanceof ValidationError) throw new GraphQLError(error.message, { extensions: { code: 'BAD_USER_INPUT', field: error.field } });
    throw error;
  }
}

builder.queryField('entities', (t) =>
  t.prismaConnection({
    type: 'Entity',
    cursor: 'id',
    defaultSize: 20,
    maxSize: 100,
    description:
      'The charms and bundles you may see, by name (then age); with `query`, full-text search results, best match first. At most 100 per page.',
    args: {
      query: t.arg.string({
        description: 'Words to find in the name, summary and description (web search syntax: "exact phrase", -without, or); ranked, best first.',
      }),
      owner: t.arg.string({ description: 'Only those owned by this user or group.' }),
      kind: t.arg({ type: EntityKindEnum, description: 'Only charms or only bundles.' }),
      promulgated: t.arg.boolean({ description: 'true: only the recommended (promulgated) ones; false: only the community ones.' }),
      provides: t.arg.string({
        description: 'Only charms whose revision released on stable provides a relation with this interface, e.g. "pgsql" (the old charm store\'s provides filter).',
      }),
      requires: t.arg.string({ description: 'Only charms whose revision released on stable requires a relation with this interface, e.g. "mysql".' }),
      base: t.arg({ type: BaseFilterInput, description: 'Only charms whose revision released on stable runs on this platform (any part may be left out).' }),
    },
    resolve: async (query, _root, args, ctx) => {
      // Also checks the filters (before anything is read), for the search below too.
      const where = await refusingBadInput(() => listEntitiesWhere(ctx.services, args));
      await requireListedCursor(query, args, (key) => ctx.prisma.entity.count({ where: { AND: [where, key] } }));
      if (!args.query?.trim()) {
        return ctx.prisma.entity.findMany({
          ...query,
          where,
          orderBy: [{ name: 'asc' }, { id: 'asc' }],
        });
      }
      // Ranked results page forward by keyset on (rank, id), which Prisma cannot express: the
      // service returns one page of ids, and Prisma loads them with the client's selection.
      const { take, skip: _skip, cursor, ...selection } = query;
      if (take < 0) throw new GraphQLError('Search results page forward only: use first and after with query', { extensions: { code: 'BAD_USER_INPUT' } });
      const ids = await searchEntityIds(ctx.services, { ...args, query: args.query }, { take, afterId: cursor?.id });
      const rows = await ctx.prisma.entity.findMany({ ...selection, where: { id: { in: ids } } });
      const byId = new Map(rows.map((row) => [row.id, row]));
      return ids.flatMap((id) => byId.get(id) ?? []);
    },
  }, { name: 'EntityConnection', description: 'A page of charms and bundles.' }, { name: 'EntityEdge', description: 'One charm or bundle in a page, with its cursor.' }),
);
