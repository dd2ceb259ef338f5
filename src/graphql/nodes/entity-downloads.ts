import { PermissionDeniedError } from '../../domain/errors.js';
import { entityAccessLoader } from '../../services/entities/find-entity.js';
import { type DownloadCountRow, type DownloadGrouping, downloadStatistics } from '../../services/downloads/download-statistics.js';
import { builder } from '../builder.js';
import { PermissionDeniedError as PermissionDeniedErrorType, ValidationError } from '../errors.js';

const DownloadGroupingEnum = builder.enumType('DownloadGrouping', {
  description: 'How download counts are grouped.',
  values: {
    CHANNEL: { description: 'By the channel the download came through; "" when unknown (a download url without a channel).' },
    REVISION: { description: 'By what was downloaded: "7" for archive revision 7, "image/3" for revision 3 of the resource "image".' },
    DAY: { description: 'By UTC day, "YYYY-MM-DD"; days without downloads are left out.' },
  } as const,
});

interface DownloadStatistics {
  groupBy: DownloadGrouping;
  from: string;
  to: string;
  rows: DownloadCountRow[];
}

const DownloadCountType = builder.objectRef<DownloadCountRow>('DownloadCount').implement({
  description: 'The downloads of one group.',
  fields: (t) => ({
    key: t.exposeString('key', { description: 'The channel, revision or day (see DownloadGrouping).' }),
    count: t.exposeInt('count', { description: 'How many downloads (whole GETs and ranges starting at the first byte).' }),
  }),
});

const DownloadStatisticsType = builder.objectRef<DownloadStatistics>('DownloadStatistics').implement({
  description: 'Download counts of one charm or bundle over a period.',
  fields: (t) => ({
    groupBy: t.field({ type: DownloadGroupingEnum, description: 'How the rows are grouped.', resolve: (stats) => stats.groupBy }),
    from: t.field({ type: 'Date', description: 'The first day counted.', resolve: (stats) => stats.from }),
    to: t.field({ type: 'Date', description: 'The last day counted (inclusive).', resolve: (stats) => stats.to }),
    rows: t.field({ type: [DownloadCountType], description: 'One row per group with downloads, sorted by key.', resolve: (stats) => stats.rows }),
  }),
});

builder.prismaObjectField('Entity', 'downloads', (t) =>
  t.field({
    type: DownloadStatisticsType,
    description:
      'Downloads of archives and resources per channel, revision or day (UTC), from owners and admins with a token allowing package-view-metrics. Counts reach the database within STORE_DOWNLOAD_STATS_FLUSH_SECONDS.',
    args: {
      from: t.arg({ type: 'Date', required: true, description: 'The first day to count (UTC).' }),
      to: t.arg({ type: 'Date', required: true, description: 'The last day to count, inclusive; at most 366 days after from.' }),
      groupBy: t.arg({ type: DownloadGroupingEnum, required: true, description: 'Group by CHANNEL, REVISION or DAY.' }),
    },
    errors: {
      types: [PermissionDeniedErrorType, ValidationError],
      directResult: true,
      union: { name: 'EntityDownloadsResult', description: 'The download counts, or why they are not shown.' },
    },
    resolve: async (entity, args, ctx) => {
      const access = await entityAccessLoader(ctx.services).load(entity.id);
      if (!access?.canViewMetrics()) {
        throw new PermissionDeniedError('Download statistics are for the owners and admins, with a token allowing package-view-metrics');
      }
      return { ...args, rows: await downloadStatistics(ctx.services, entity.id, args) };
    },
  }),
);
