import DataLoader from 'dataloader';
import type { Prisma } from '../../generated/prisma/client.js';
import { perRequest } from '../../services/request-cache.js';
import type { GraphQLContext } from '../context.js';

type RevisionQuery = { select?: Prisma.RevisionSelect; include?: Prisma.RevisionInclude };
type ResourceRevisionQuery = { select?: Prisma.ResourceRevisionSelect; include?: Prisma.ResourceRevisionInclude };

/**
 * Revisions by id with the selection Pothos planned for the field, batched
 * per request and per selection: every channel of a dashboard page that asks
 * for `revision { ... }` the same way shares one query. Callers have already
 * checked that the caller may see these revisions.
 */
export async function loadRevision(ctx: GraphQLContext, query: RevisionQuery, id: number | null) {
  // The key reads the whole selection, also for a null id (so Pothos sees the planned query honoured).
  const key = `revision-by-id:${JSON.stringify(query)}`;
  if (id === null) return null;
  return perRequest(
    ctx.services,
    key,
    () =>
      new DataLoader(async (ids: readonly number[]) => {
        const rows = await ctx.prisma.revision.findMany({ ...withId(query), where: { id: { in: [...ids] } } } as Prisma.RevisionFindManyArgs);
        const byId = new Map(rows.map((row) => [row.id, row]));
        return ids.map((rowId) => byId.get(rowId) ?? null);
      }),
  ).load(id);
}

/** Resource revisions by id, in the order given, with the planned selection. */
export async function loadResourceRevisions(ctx: GraphQLContext, query: ResourceRevisionQuery, ids: readonly number[]) {
  const rows = await ctx.prisma.resourceRevision.findMany({
    ...withId(query),
    where: { id: { in: [...ids] } },
  } as Prisma.ResourceRevisionFindManyArgs);
  const byId = new Map(rows.map((row) => [row.id, row]));
  return ids.map((id) => byId.get(id)!);
}

/** The planned selection plus the id the rows are matched by. */
function withId<Q extends { select?: object; include?: object }>(query: Q): Q {
  return query.select ? { ...query, select: { ...query.select, id: true } } : query;
}
