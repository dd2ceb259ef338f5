import { Prisma } from '../../generated/prisma/client.js';
import type { SqlExecutor } from '../../db/sql-executor.js';
import type { ChannelName } from '../../domain/channel.js';
import { RECORDED_COLUMNS } from '../pipeline/record-change.js';
import { riskToDb } from './channel-state.js';

/**
 * The two statements of appendReleases (release, promote): one read of every
 * target channel with its map entries, and one write of every channel's
 * pointer, releases, pins and map entries. Raw SQL because Prisma's query
 * builder spends a statement per channel and per table; the names are
 * unqualified so that the store's schema (search_path) applies.
 */

/** A map entry as the read finds it, with the percentage of the release it points at. */
export interface StoredEntry {
  id: number;
  name: string;
  baseChannel: string;
  architecture: string;
  releaseId: number;
  previousReleaseId: number | null;
  progressivePercentage: number | null;
}

/** A target channel as it is before the write; absent when it was never released to. */
export interface StoredChannel {
  revisionId: number | null;
  closed: boolean;
  /** Milliseconds since the epoch. */
  lastReleasedAt: number | null;
  previousReleaseId: number | null;
  bases: StoredEntry[];
  /** The channel's newest release entry (not a close). */
  newest: { id: number; progressivePercentage: number | null } | null;
}

/** What the read returns: the channels in the order asked, and the ids the new releases get, ascending. */
export interface ReleaseTargets {
  channels: Array<StoredChannel | null>;
  releaseIds: number[];
}

/**
 * Two columns, "targetChannels" and "releaseIds", for a SELECT: the target
 * channels' states as JSON, and `releaseCount` ids drawn from the Release
 * sequence up front (so the one write can link entries to their releases,
 * and history keeps its order: newer releases have larger ids).
 */
export function releaseTargetsColumns(entityId: number, channels: readonly ChannelName[], releaseCount: number): Prisma.Sql {
  return targetsColumns(Prisma.sql`${entityId}::int`, channels, releaseCount, null);
}

/**
 * The same columns as columns of the pipeline's locking read
 * (pipeline/locked-read.ts: the locked entity row is `t` there), for
 * channels parsed before the entity's default track is known: a channel
 * whose track is null is on the entity's default track.
 */
export function lockedReleaseTargetsColumns(channels: ReadonlyArray<Omit<ChannelName, 'track'> & { track: string | null }>, releaseCount: number): Prisma.Sql {
  return targetsColumns(Prisma.sql`t."id"`, channels, releaseCount, Prisma.sql`t."defaultTrack"`);
}

function targetsColumns(
  entityId: Prisma.Sql,
  channels: ReadonlyArray<Omit<ChannelName, 'track'> & { track: string | null }>,
  releaseCount: number,
  defaultTrack: Prisma.Sql | null,
): Prisma.Sql {
  const track = defaultTrack ? Prisma.sql`COALESCE(w."track", ${defaultTrack})` : Prisma.sql`w."track"`;
  const wanted = JSON.stringify(channels.map((channel, i) => ({ i, track: channel.track, risk: riskToDb(channel.risk), branch: channel.branch ?? '' })));
  return Prisma.sql`
    (SELECT COALESCE(json_agg(json_build_object(
        'i', w."i", 'revisionId', c."revisionId", 'closed', c."closed",
        'lastReleasedAt', (extract(epoch FROM c."lastReleasedAt") * 1000)::float8, 'previousReleaseId', c."previousReleaseId",
        'bases', (SELECT COALESCE(json_agg(json_build_object('id', b."id", 'name', b."name", 'baseChannel', b."baseChannel", 'architecture', b."architecture",
                    'releaseId', b."releaseId", 'previousReleaseId', b."previousReleaseId", 'progressivePercentage', br."progressivePercentage") ORDER BY b."id"), '[]'::json)
                  FROM "ChannelBase" b JOIN "Release" br ON br."id" = b."releaseId" WHERE b."channelId" = c."id"),
        'newest', (SELECT json_build_object('id', h."id", 'progressivePercentage', h."progressivePercentage")
                   FROM "Release" h WHERE h."channelId" = c."id" AND h."action" = 'RELEASE' ORDER BY h."id" DESC LIMIT 1))), '[]'::json)
       FROM jsonb_to_recordset(${wanted}::jsonb) AS w("i" int, "track" text, "risk" text, "branch" text)
       JOIN "Channel" c ON c."entityId" = ${entityId} AND c."track" = ${track} AND c."risk"::text = w."risk" AND c."branch" = w."branch") AS "targetChannels",
    (SELECT COALESCE(array_agg(nextval(pg_get_serial_sequence('"Release"', 'id'))::int), '{}'::int[])
       FROM generate_series(1, ${releaseCount}::int)) AS "releaseIds"`;
}

/** Reads the columns of releaseTargetsColumns from a row. */
export function parseReleaseTargets(row: { targetChannels: unknown; releaseIds: unknown }, channelCount: number): ReleaseTargets {
  const found = parseJson(row.targetChannels) as Array<StoredChannel & { i: number }>;
  const channels: Array<StoredChannel | null> = Array.from({ length: channelCount }, () => null);
  for (const channel of found) channels[channel.i] = channel;
  const releaseIds = (row.releaseIds as Array<number | string>).map(Number).sort((a, b) => a - b);
  return { channels, releaseIds };
}

/** A json column as the driver hands it: parsed already, or as text. */
export function parseJson(value: unknown): unknown {
  return typeof value === 'string' ? JSON.parse(value) : value;
}

/** Reads the target channels and draws the release ids: one statement. */
export async function readReleaseTargets(tx: SqlExecutor, entityId: number, channels: readonly ChannelName[], releaseCount: number): Promise<ReleaseTargets> {
  const rows = await tx.query<{ targetChannels: unknown; releaseIds: unknown }>(Prisma.sql`SELECT ${releaseTargetsColumns(entityId, channels, releaseCount)}`);
  return parseReleaseTargets(rows[0]!, channels.length);
}

/** Everything the write changes; `channel` fields index the channel list. */
export interface ChannelMapWrite {
  entityId: number;
  now: Date;
  actorId: number;
  /** Each channel's pointer after the write. */
  channels: Array<{ channel: ChannelName; revisionId: number; previousReleaseId: number | null }>;
  releases: Array<{ id: number; channel: number; revisionId: number; bases: unknown; progressivePercentage: number | null }>;
  pins: Array<{ releaseId: number; resourceRevisionId: number }>;
  /** Map entries to remove. */
  removedEntryIds: number[];
  /** Map entries to write; one with the platform of an existing entry of its channel replaces it. */
  entries: Array<{ channel: number; name: string; baseChannel: string; architecture: string; revisionId: number; releaseId: number; previousReleaseId: number | null }>;
}

/**
 * Writes every channel's pointer (created when new), its releases with their
 * resource pins and its map entries in ONE statement. Foreign keys between
 * the rows it inserts are checked at the statement's end. The entries it
 * replaces are updated in place (ON CONFLICT) rather than deleted, so the
 * order in which PostgreSQL runs the statement's parts does not matter.
 * With `changeRecord` (the pipeline's audit CTEs) it records the change too,
 * and is then the command's last statement: a writer alone sends its COMMIT
 * right behind it (StatementOptions.commit).
 * Returns each channel's id, in the order of `channels`, and how many
 * webhook deliveries the record queued.
 */
export async function writeChannelMaps(tx: SqlExecutor, write: ChannelMapWrite, changeRecord?: Prisma.Sql): Promise<{ channelIds: number[]; webhooksQueued: number }> {
  const channels = JSON.stringify(
    write.channels.map((c, i) => ({
      i,
      track: c.channel.track,
      risk: riskToDb(c.channel.risk),
      branch: c.channel.branch ?? '',
      revisionId: c.revisionId,
      previousReleaseId: c.previousReleaseId,
    })),
  );
  const rows = await tx.query<{ i: number; id: number; webhooksQueued: number }>(Prisma.sql`
    WITH wanted AS (
      SELECT * FROM jsonb_to_recordset(${channels}::jsonb) AS t("i" int, "track" text, "risk" text, "branch" text, "revisionId" int, "previousReleaseId" int)
    ),
    pointed AS (
      INSERT INTO "Channel" ("entityId", "track", "risk", "branch", "revisionId", "closed", "lastReleasedAt", "updatedAt", "previousReleaseId")
      SELECT ${write.entityId}::int, w."track", w."risk"::"Risk", w."branch", w."revisionId", false, ${write.now}, ${write.now}, w."previousReleaseId" FROM wanted w
      ON CONFLICT ("entityId", "track", "risk", "branch") DO UPDATE SET
        "revisionId" = EXCLUDED."revisionId", "closed" = false, "lastReleasedAt" = EXCLUDED."lastReleasedAt",
        "updatedAt" = EXCLUDED."updatedAt", "previousReleaseId" = EXCLUDED."previousReleaseId"
      RETURNING "id", "track", "risk"::text AS "risk", "branch"
    ),
    ids AS (
      SELECT w."i", p."id" FROM wanted w JOIN pointed p ON p."track" = w."track" AND p."risk" = w."risk" AND p."branch" = w."branch"
    ),
    released AS (
      INSERT INTO "Release" ("id", "channelId", "entityId", "action", "revisionId", "createdAt", "createdById", "bases", "progressivePercentage")
      SELECT r."id", ids."id", ${write.entityId}::int, 'RELEASE'::"ReleaseAction", r."revisionId", ${write.now}, ${write.actorId}::int, r."bases", r."progressivePercentage"
      FROM jsonb_to_recordset(${JSON.stringify(write.releases)}::jsonb) AS r("id" int, "channel" int, "revisionId" int, "bases" jsonb, "progressivePercentage" int)
      JOIN ids ON ids."i" = r."channel"
    ),
    pinned AS (
      INSERT INTO "ReleaseResource" ("releaseId", "resourceRevisionId")
      SELECT p."releaseId", p."resourceRevisionId" FROM jsonb_to_recordset(${JSON.stringify(write.pins)}::jsonb) AS p("releaseId" int, "resourceRevisionId" int)
    ),
    removed AS (
      DELETE FROM "ChannelBase" WHERE "id" = ANY (${write.removedEntryIds}::int[])
    ),
    entered AS (
      INSERT INTO "ChannelBase" ("channelId", "name", "baseChannel", "architecture", "revisionId", "releaseId", "previousReleaseId")
      SELECT ids."id", e."name", e."baseChannel", e."architecture", e."revisionId", e."releaseId", e."previousReleaseId"
      FROM jsonb_to_recordset(${JSON.stringify(write.entries)}::jsonb)
        AS e("channel" int, "name" text, "baseChannel" text, "architecture" text, "revisionId" int, "releaseId" int, "previousReleaseId" int)
      JOIN ids ON ids."i" = e."channel"
      ON CONFLICT ("channelId", "name", "baseChannel", "architecture") DO UPDATE SET
        "revisionId" = EXCLUDED."revisionId", "releaseId" = EXCLUDED."releaseId", "previousReleaseId" = EXCLUDED."previousReleaseId"
    )
    ${changeRecord ? Prisma.sql`, ${changeRecord} SELECT "i", "id", ${RECORDED_COLUMNS} FROM ids ORDER BY "i"` : Prisma.sql`SELECT "i", "id", 0 AS "webhooksQueued" FROM ids ORDER BY "i"`}`,
    // Recording the change, it is the command's last statement (the pipeline records nothing more): COMMIT rides behind it.
    changeRecord ? { commit: true } : undefined,
  );
  return { channelIds: rows.map((row) => Number(row.id)), webhooksQueued: rows[0]?.webhooksQueued ?? 0 };
}
