import { Prisma } from '../../generated/prisma/client.js';
import { ValidationError } from '../../domain/errors.js';
import type { ServiceContext } from '../context.js';
import { answerNotReusable } from '../read-validity.js';

export type DownloadGrouping = 'CHANNEL' | 'REVISION' | 'DAY';

export interface DownloadStatisticsQuery {
  /** First day counted, "YYYY-MM-DD" (UTC). */
  from: string;
  /** Last day counted, inclusive. */
  to: string;
  groupBy: DownloadGrouping;
}

/** One group of downloads: its key (a channel, a revision or a day) and how many there were. */
export interface DownloadCountRow {
  key: string;
  count: number;
}

/** The longest period one query covers: the table has a row per revision, channel and day. */
export const MAX_STATISTICS_DAYS = 366;

/**
 * The downloads of one entity counted from `from` to `to`, grouped by
 * channel ("" = unknown), revision ("7" for archive revision 7, "image/3" for
 * revision 3 of the resource "image") or day; sorted by key. Counts still in
 * memory (not yet flushed) are not included.
 */
export async function downloadStatistics(ctx: ServiceContext, entityId: number, query: DownloadStatisticsQuery): Promise<DownloadCountRow[]> {
  const from = new Date(`${query.from}T00:00:00Z`);
  const to = new Date(`${query.to}T00:00:00Z`);
  if (to < from) throw new ValidationError(`"to" (${query.to}) is before "from" (${query.from})`, 'to');
  const days = (to.getTime() - from.getTime()) / 86_400_000 + 1;
  if (days > MAX_STATISTICS_DAYS) throw new ValidationError(`The period covers ${days} days; ask for at most ${MAX_STATISTICS_DAYS} at a time`, 'to');
  // Counts are flushed in the background without moving ReadVersion: an answer showing them is never kept.
  answerNotReusable(ctx);
  const key = {
    CHANNEL: Prisma.sql`"channel"`,
    REVISION: Prisma.sql`CASE WHEN "resourceName" = '' THEN "revision"::text ELSE "resourceName" || '/' || "revision"::text END`,
    DAY: Prisma.sql`to_char("day", 'YYYY-MM-DD')`,
  }[query.groupBy];
  const rows = await ctx.prisma.$queryRaw<Array<{ key: string; count: bigint | number | string }>>`
    SELECT ${key} AS "key", SUM("count")::bigint AS "count" FROM "DownloadCount"
    WHERE "entityId" = ${entityId} AND "day" BETWEEN ${query.from}::date AND ${query.to}::date
    GROUP BY 1 ORDER BY 1`;
  return rows.map((row) => ({ key: row.key, count: Number(row.count) }));
}
