import type { SqlExecutor } from '../../db/sql-executor.js';
import { type ChannelName, formatChannel } from '../../domain/channel.js';
import type { Platform } from '../../domain/channel-map.js';
import { platformsToBases } from '../../domain/channel-map.js';
import { NotFoundError, PermissionDeniedError, ValidationError } from '../../domain/errors.js';
import { checkPercentage, MAX_PERCENTAGE } from '../../domain/progressive.js';
import { Prisma, type Release as ReleaseRow } from '../../generated/prisma/client.js';
import { requireSignedIn } from '../accounts/require.js';
import type { ServiceContext } from '../context.js';
import { commandTarget, ENTITY_COMMAND_ERRORS, runEntityCommand } from '../pipeline/entity-command.js';
import { parseJson } from './channel-map-sql.js';
import { riskToDb } from './channel-state.js';
import { checkChannelCount, writableChannels } from './channel-targets.js';
import { rolloutInProgress } from './release.js';

/** What updateProgressive can answer besides success. */
export const updateProgressiveErrors = [...ENTITY_COMMAND_ERRORS, NotFoundError, PermissionDeniedError, ValidationError] as const;

export interface UpdateProgressiveInput {
  url: string;
  channels: readonly string[];
  /** The new percentage (100 completes the rollout); exclusive with cancel. */
  percentage?: number | null;
  /** Everybody gets what the rollout replaced again. */
  cancel?: boolean | null;
}

type Change = { percentage: number } | { cancel: true };

function checkChange(input: UpdateProgressiveInput): Change {
  const hasPercentage = input.percentage !== null && input.percentage !== undefined;
  if (hasPercentage === Boolean(input.cancel)) {
    throw new ValidationError('Give either percentage (100 completes the rollout) or cancel: true, not both and not neither', hasPercentage ? 'cancel' : 'percentage');
  }
  return hasPercentage ? { percentage: checkPercentage(input.percentage!, 'percentage') } : { cancel: true };
}

/**
 * Moves the progressive releases in progress in each channel: to a new
 * percentage (a raise keeps every instance that had the revision, since an
 * instance's place in a rollout never changes; 100 completes it), or
 * cancels them (every instance gets again what the rollout replaced, or
 * falls back as from a closed channel when it replaced nothing). Each move
 * is a history entry of its own (a release of the same revision at the new
 * percentage, or of the replaced revision), so histories show the progress.
 * All channels or none, in the write pipeline; a channel without a rollout
 * in progress is refused.
 */
export async function updateProgressive(ctx: ServiceContext, input: UpdateProgressiveInput): Promise<ReleaseRow[]> {
  const actor = requireSignedIn(ctx);
  checkChannelCount(input.channels, ctx.settings.maxChannelsPerChange, 'release to');
  const change = checkChange(input);
  const { target } = await commandTarget(ctx, input.url);
  return runEntityCommand(ctx, {
    target,
    execute: async ({ sql, row, access, now }) => {
      const channels = writableChannels(row, access, input.channels, 'release to');
      const releases: ReleaseRow[] = [];
      for (const channel of channels) {
        releases.push(...(await moveRollouts(sql, { entityId: row.id, channel, change, now, actorId: actor.userId, url: access.url })));
      }
      const percentage = 'percentage' in change ? change.percentage : null;
      return {
        result: releases,
        audit: { action: 'update-progressive', target: access.url, after: { channels: channels.map(formatChannel), percentage, cancelled: percentage === null } },
        event: { kind: 'channels-released', entityId: row.id, releaseIds: releases.map((release) => release.id) },
      };
    },
  });
}

/** A release as a move reads it: what a new entry repeating it copies. */
interface Source {
  id: number;
  revisionId: number | null;
  bases: Prisma.JsonValue;
  progressivePercentage: number | null;
  resources: Array<{ resourceRevisionId: number }>;
}

/** The release with id `id` (an SQL expression) as a Source in JSON, or null. */
function sourceJson(id: Prisma.Sql): Prisma.Sql {
  return Prisma.sql`(SELECT json_build_object('id', x."id", 'revisionId', x."revisionId", 'bases', x."bases", 'progressivePercentage', x."progressivePercentage",
      'resources', (SELECT COALESCE(json_agg(json_build_object('resourceRevisionId', p."resourceRevisionId") ORDER BY p."resourceRevisionId"), '[]'::json)
                    FROM "ReleaseResource" p WHERE p."releaseId" = x."id"))
    FROM "Release" x WHERE x."id" = ${id})`;
}

interface MovedChannel {
  id: number;
  closed: boolean;
  revisionId: number | null;
  previousRelease: Source | null;
  /** The channel's newest history entry (a release or a close). */
  newest: (Source & { action: string }) | null;
  bases: Array<{ id: number; name: string; baseChannel: string; architecture: string; release: Source; previousRelease: Source | null }>;
}

/** The channel with its newest history entry and its map entries, with the releases they point at: one statement. */
async function readChannel(sql: SqlExecutor, entityId: number, channel: ChannelName): Promise<MovedChannel | null> {
  const [row] = await sql.query<{ id: number; closed: boolean; revisionId: number | null; previousRelease: unknown; newest: unknown; bases: unknown }>(Prisma.sql`
    SELECT c."id", c."closed", c."revisionId",
      ${sourceJson(Prisma.sql`c."previousReleaseId"`)} AS "previousRelease",
      (SELECT json_build_object('action', h."action"::text) FROM "Release" h WHERE h."channelId" = c."id" ORDER BY h."id" DESC LIMIT 1)::jsonb
        || ${sourceJson(Prisma.sql`(SELECT h."id" FROM "Release" h WHERE h."channelId" = c."id" ORDER BY h."id" DESC LIMIT 1)`)}::jsonb AS "newest",
      (SELECT COALESCE(json_agg(json_build_object('id', b."id", 'name', b."name", 'baseChannel', b."baseChannel", 'architecture', b."architecture",
                'release', ${sourceJson(Prisma.sql`b."releaseId"`)}, 'previousRelease', ${sourceJson(Prisma.sql`b."previousReleaseId"`)}) ORDER BY b."id"), '[]'::json)
         FROM "ChannelBase" b WHERE b."channelId" = c."id") AS "bases"
    FROM "Channel" c
    WHERE c."entityId" = ${entityId}::int AND c."track" = ${channel.track} AND c."risk" = ${riskToDb(channel.risk)}::"Risk" AND c."branch" = ${channel.branch ?? ''}`);
  if (!row) return null;
  return {
    ...row,
    previousRelease: parseJson(row.previousRelease) as Source | null,
    newest: parseJson(row.newest) as MovedChannel['newest'],
    bases: parseJson(row.bases) as MovedChannel['bases'],
  };
}

async function moveRollouts(
  sql: SqlExecutor,
  what: { entityId: number; channel: ChannelName; change: Change; now: Date; actorId: number; url: string },
): Promise<ReleaseRow[]> {
  const { entityId, channel, change, now, actorId } = what;
  const name = formatChannel(channel);
  const row = await readChannel(sql, entityId, channel);
  const newest = row?.newest;
  const pointerRollout = row && !row.closed && row.revisionId !== null && newest?.action === 'RELEASE' && rolloutInProgress(newest.progressivePercentage) ? newest : null;
  const entries = (row?.bases ?? []).filter((entry) => rolloutInProgress(entry.release.progressivePercentage));
  if (!row || (!pointerRollout && entries.length === 0)) {
    throw new ValidationError(`${name} of ${what.url} has no progressive release in progress: release a revision with progressive: {percentage: ...} first`, 'channels');
  }

  /**
   * Appends a history entry repeating `source` (a close when null) and, in
   * the same statement, moves the map entries `entryIds` to it (removes
   * them for a close; `completed`: a rollout no more, so nothing is kept for
   * the others).
   */
  const append = async (source: Source | null, platforms: Platform[] | null, percentage: number | null, entryIds: number[], completed: boolean): Promise<ReleaseRow> => {
    // The platforms moved; for the channel's own pointer alone, those of the release it repeats.
    const bases = platforms ? platformsToBases(platforms) : (source?.bases ?? []);
    const moved = !source
      ? Prisma.sql`DELETE FROM "ChannelBase" WHERE "id" = ANY (${entryIds}::int[])`
      : Prisma.sql`UPDATE "ChannelBase" b SET "revisionId" = ${source.revisionId}::int, "releaseId" = released."id",
          "previousReleaseId" = CASE WHEN ${completed}::boolean THEN NULL ELSE b."previousReleaseId" END
        FROM released WHERE b."id" = ANY (${entryIds}::int[])`;
    const [release] = await sql.query<ReleaseRow>(Prisma.sql`
      WITH released AS (
        INSERT INTO "Release" ("channelId", "entityId", "action", "revisionId", "createdAt", "createdById", "bases", "progressivePercentage")
        VALUES (${row.id}::int, ${entityId}::int, ${source ? 'RELEASE' : 'CLOSE'}::"ReleaseAction", ${source?.revisionId ?? null}::int, ${now}, ${actorId}::int,
          ${JSON.stringify(bases)}::jsonb, ${percentage}::int)
        RETURNING *
      ),
      pinned AS (
        INSERT INTO "ReleaseResource" ("releaseId", "resourceRevisionId")
        SELECT released."id", pin FROM released, unnest(${(source?.resources ?? []).map((pin) => pin.resourceRevisionId)}::int[]) AS pin
      ),
      moved AS (${moved})
      SELECT "id", "channelId", "entityId", "action"::text AS "action", "revisionId", "createdAt", "createdById", "bases", "progressivePercentage" FROM released`);
    return { ...release!, bases: parseJson(release!.bases) as Prisma.JsonValue };
  };
  const platformOf = (entry: (typeof entries)[number]): Platform => ({ name: entry.name, channel: entry.baseChannel, architecture: entry.architecture });

  // Group the entries by what they move to: the same release at a new percentage, or the release they replaced.
  const groups = new Map<string, { source: Source | null; entryIds: number[]; platforms: Platform[]; percentage: number | null }>();
  for (const entry of entries) {
    const target = 'cancel' in change ? entry.previousRelease : entry.release;
    const key = `${target?.id ?? 'none'}`;
    const group = groups.get(key) ?? { source: target, entryIds: [], platforms: [], percentage: 'cancel' in change ? null : change.percentage };
    group.entryIds.push(entry.id);
    group.platforms.push(platformOf(entry));
    groups.set(key, group);
  }
  // The entry clients naming no base get is written last: a channel's newest release pins their resources.
  const pointerTarget = pointerRollout ? ('cancel' in change ? row.previousRelease : pointerRollout) : undefined;
  const pointerKey = pointerTarget === undefined ? undefined : `${pointerTarget?.id ?? 'none'}`;
  const ordered = [...groups.entries()].sort(([a], [b]) => Number(a === pointerKey) - Number(b === pointerKey));

  const written: ReleaseRow[] = [];
  for (const [, group] of ordered) {
    written.push(await append(group.source, group.platforms, group.percentage, group.entryIds, group.percentage === null || group.percentage >= MAX_PERCENTAGE));
  }
  if (pointerTarget !== undefined) {
    // No entry group wrote what the pointer moves to (a channel released to before channel maps): its own entry.
    if (pointerKey === undefined || !groups.has(pointerKey)) written.push(await append(pointerTarget, null, 'cancel' in change ? null : change.percentage, [], false));
    const completed = 'cancel' in change || change.percentage >= MAX_PERCENTAGE;
    await sql.query(Prisma.sql`
      UPDATE "Channel" SET "revisionId" = ${pointerTarget ? pointerTarget.revisionId : null}::int, "updatedAt" = ${now}, "lastReleasedAt" = ${now},
        "previousReleaseId" = CASE WHEN ${completed}::boolean THEN NULL ELSE "previousReleaseId" END
      WHERE "id" = ${row.id}::int`);
  }
  return written;
}
