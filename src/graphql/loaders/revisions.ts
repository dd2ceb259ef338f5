import DataLoader from 'dataloader';
import type { Prisma } from '../../generated/prisma/client.js';
import type { GraphQLResolveInfo } from 'graphql';
import type { GraphQLContext } from '../context.js';
import { perField } from './per-field.js';

type RevisionQuery = { select?: Prisma.RevisionSelect; include?: Prisma.RevisionInclude };

/**
 * Revisions by id with the selection Pothos planned for the field, batched
 * per request and per selection: every channel of a dashboard page that asks
 * for `revision { ... }` the same way shares one query. Callers have already
 * checked that the caller may see these revisions.
 */
export async function loadRevision(ctx: GraphQLContext, info: GraphQLResolveInfo, query: RevisionQuery, id: number | null) {
  // Spread before the short cut, so Pothos sees the planned selection honoured either way.
  const planned = { ...query };
  if (id === null) return null;
  return perField(
    ctx,
    info,
    () =>
      new DataLoader(async (ids: readonly number[]) => {
        const rows = await ctx.prisma.revision.findMany({ ...withId(planned), where: { id: { in: [...ids] } } } as Prisma.RevisionFindManyArgs);
        const byId = new Map(rows.map((row) => [row.id, row]));
        return ids.map((rowId) => byId.get(rowId) ?? null);
      }),
  ).load(id);
}

/** The planned selection plus the id the rows are matched by. */
function withId<Q extends { select?: object; include?: object }>(query: Q): Q {
  return query.select ? { ...query, select: { ...query.select, id: true } } : query;
}
