import type { PrismaClient } from '../../db/database.js';
import { Prisma } from '../../generated/prisma/client.js';
import type { Logger } from '../../logger.js';

/** One download, as the statistics count it. */
export interface CountedDownload {
  entityId: number;
  /** "" for the archive; the resource's name for a resource revision. */
  resourceName: string;
  /** The archive revision, or the resource revision. */
  revision: number;
  /** The full channel the download came through; "" when unknown. */
  channel: string;
}

interface PendingCount extends CountedDownload {
  day: string;
  count: number;
}

/**
 * Counts downloads per revision, channel and UTC day in memory and adds
 * them to the DownloadCount table now and then (and at shutdown). Recording
 * is a map update, so downloads never wait for the database; the flush is
 * an upsert adding to the stored count, so several processes (or restarts)
 * add up instead of overwriting each other.
 */
export class DownloadCounter {
  private pending = new Map<string, PendingCount>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly prisma: PrismaClient,
    private readonly logger: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {}

  record(download: CountedDownload): void {
    const day = this.now().toISOString().slice(0, 10);
    const key = JSON.stringify([download.entityId, download.resourceName, download.revision, download.channel, day]);
    const entry = this.pending.get(key);
    if (entry) entry.count += 1;
    else this.pending.set(key, { ...download, day, count: 1 });
  }

  /** Flushes every `intervalMs` until `stop`; the timer never keeps the process alive. */
  start(intervalMs: number): void {
    this.timer ??= setInterval(() => void this.flush(), intervalMs);
    this.timer.unref();
  }

  /** Stops the timer and writes what is pending (shutdown). */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
  }

  /**
   * Writes the counts recorded so far. Flushes run one after another; a
   * failed one (database down) keeps its counts for the next attempt.
   */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.write());
    return this.flushing;
  }

  private async write(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = [...this.pending.values()];
    this.pending = new Map();
    try {
      const rows = batch.map(
        (row) => Prisma.sql`(${row.entityId}::int, ${row.resourceName}::text, ${row.revision}::int, ${row.channel}::text, ${row.day}::date, ${row.count}::bigint)`,
      );
      // An entity deleted since its download has no row to count against: its counts are dropped.
      await this.prisma.$executeRaw`
        INSERT INTO "DownloadCount" ("entityId", "resourceName", "revision", "channel", "day", "count")
        SELECT v.* FROM (VALUES ${Prisma.join(rows)}) AS v("entityId", "resourceName", "revision", "channel", "day", "count")
        WHERE EXISTS (SELECT 1 FROM "Entity" e WHERE e."id" = v."entityId")
        ON CONFLICT ("entityId", "resourceName", "revision", "channel", "day")
        DO UPDATE SET "count" = "DownloadCount"."count" + EXCLUDED."count"`;
    } catch (error) {
      for (const row of batch) {
        const key = JSON.stringify([row.entityId, row.resourceName, row.revision, row.channel, row.day]);
        const entry = this.pending.get(key);
        if (entry) entry.count += row.count;
        else this.pending.set(key, row);
      }
      this.logger.warn({ err: error, pendingRows: this.pending.size }, 'download counts not saved; retrying at the next flush');
    }
  }
}
