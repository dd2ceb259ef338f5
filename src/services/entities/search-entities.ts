import { type EntityKind, Prisma } from '../../generated/prisma/client.js';
import { getCaller } from '../authorization/caller.js';
import { visibleEntitySql } from '../authorization/entity-access.js';
import type { ServiceContext } from '../context.js';
import { publishedEntitySql, type PublishedFilters } from './published-filters.js';

export interface EntitySearch extends PublishedFilters {
  /** Words to look for (web search syntax: `"exact phrase"`, `-not`, `or`). */
  query: string;
  owner?: string | null;
  kind?: EntityKind | null;
  promulgated?: boolean | null;
}

/**
 * One page of a full-text search: entity ids, best match first (ties: newest
 * first). The document is the entity's name (weight A) and the summary (B)
 * and description (C) of the newest revision on an open stable channel
 * (what the entity publishes: the text of unreleased revisions must not be
 * findable by people who cannot read them); a name containing the query
 * as typed also matches, so that "postg" finds "postgresql". Visibility and
 * the filters are part of the SQL: nothing is filtered after fetching.
 * Pages continue after the entity `afterId` (keyset on rank, id).
 */
export async function searchEntityIds(ctx: ServiceContext, search: EntitySearch, page: { take: number; afterId?: number }): Promise<number[]> {
  const caller = await getCaller(ctx);
  const text = search.query.trim();
  const filters: Prisma.Sql[] = [visibleEntitySql(caller, 'e'), publishedEntitySql(search, 'e')];
  if (search.owner) filters.push(Prisma.sql`EXISTS (SELECT 1 FROM "Namespace" o WHERE o."id" = e."namespaceId" AND o."name" = ${search.owner})`);
  if (search.kind) filters.push(Prisma.sql`e."kind" = ${search.kind}::"EntityKind"`);
  if (search.promulgated !== null && search.promulgated !== undefined) filters.push(Prisma.sql`e."promulgated" = ${search.promulgated}`);
  const ranked = Prisma.sql`
    SELECT e."id",
           ts_rank(d."document", q."query") + CASE WHEN strpos(e."name", lower(${text})) > 0 THEN 1 ELSE 0 END AS "rank"
    FROM "Entity" e
    CROSS JOIN (SELECT websearch_to_tsquery('english', ${text}) AS "query") q
    LEFT JOIN LATERAL (
      SELECT r."summary", r."description" FROM "Channel" c JOIN "Revision" r ON r."id" = c."revisionId"
      WHERE c."entityId" = e."id" AND c."risk" = 'STABLE' AND c."branch" = '' AND NOT c."closed"
      ORDER BY r."number" DESC LIMIT 1
    ) latest ON TRUE
    CROSS JOIN LATERAL (
      SELECT setweight(to_tsvector('english', e."name"), 'A')
          || setweight(to_tsvector('english', coalesce(latest."summary", '')), 'B')
          || setweight(to_tsvector('english', coalesce(latest."description", '')), 'C') AS "document"
    ) d
    WHERE (d."document" @@ q."query" OR strpos(e."name", lower(${text})) > 0)
      AND ${Prisma.join(filters, ' AND ')}`;
  const rows = await ctx.prisma.$queryRaw<Array<{ id: number }>>`
    WITH ranked AS (${ranked})
    SELECT ranked."id" FROM ranked
    WHERE ${page.afterId === undefined
      ? Prisma.sql`TRUE`
      : Prisma.sql`(ranked."rank", ranked."id") < (SELECT a."rank", a."id" FROM ranked a WHERE a."id" = ${page.afterId})`}
    ORDER BY ranked."rank" DESC, ranked."id" DESC
    LIMIT ${page.take}`;
  return rows.map((row) => row.id);
}
