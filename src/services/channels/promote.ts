import { type ChannelName, formatChannel, parseChannel, riskLike } from '../../domain/channel.js';
import { NotFoundError, PermissionDeniedError, ValidationError } from '../../domain/errors.js';
import { ChannelSet, describeChannels } from '../../domain/fallback.js';
import { refusePromotingRollouts } from '../../domain/progressive.js';
import type { SqlExecutor } from '../../db/sql-executor.js';
import { Prisma, type Release as ReleaseRow, type Risk } from '../../generated/prisma/client.js';
import { requireSignedIn } from '../accounts/require.js';
import type { ServiceContext } from '../context.js';
import { commandTarget, ENTITY_COMMAND_ERRORS, runEntityCommand } from '../pipeline/entity-command.js';
import { type Platform, platformsToBases } from '../../domain/channel-map.js';
import { type MapRow, platformViews, riskFromDb } from './channel-state.js';
import { checkChannelCount, writableChannels } from './channel-targets.js';
import { parseJson, parseReleaseTargets, releaseTargetsColumns } from './channel-map-sql.js';
import { appendReleases, rolloutInProgress } from './release.js';

/** What promote can answer besides success. */
export const promoteErrors = [...ENTITY_COMMAND_ERRORS, NotFoundError, PermissionDeniedError, ValidationError] as const;

export interface PromoteInput {
  url: string;
  from: string;
  to: readonly string[];
}

export interface Promotion {
  /** The full name of the channel whose release was copied (`from`, or the channel it falls back to). */
  from: string;
  releases: ReleaseRow[];
}

/**
 * Releases what `from` serves now to each platform (after fall-back per
 * platform, as a deploy from it would get it), with the resource revisions
 * pinned by the release that set it, to every `to` channel: one release
 * entry per revision served, occupying the platforms it is served to there.
 * One transaction under the entity's lock, so what is
 * read is what is written, and the new entries are ordinary releases in
 * the targets' histories (`charmcraft promote`, `snapcraft promote`).
 * A source serving a progressive release in progress is refused (see
 * refusePromotingRollouts): it serves two revisions, and copying the new
 * one to everyone would widen the rollout.
 */
export async function promote(ctx: ServiceContext, input: PromoteInput): Promise<Promotion> {
  const actor = requireSignedIn(ctx);
  checkChannelCount(input.to, ctx.settings.maxChannelsPerChange, 'release to');
  const { target } = await commandTarget(ctx, input.url);

  return runEntityCommand(ctx, {
    target,
    execute: async ({ sql, row, access, now, changeRecord }) => {
      const entityId = row.id;
      const from = parseChannel(input.from, row.defaultTrack, 'from');
      const targets = writableChannels(row, access, input.to, 'release to');
      if (targets.some((target) => formatChannel(target) === formatChannel(from))) {
        throw new ValidationError(`"${input.from}" is both the channel to promote from and one to promote to: name other channels in "to"`, 'to');
      }
      // The tracks come with the entity's row, read under its lock (pipeline/locked-read.ts).
      if (!row.tracks.includes(from.track)) {
        const meant = input.from.includes('/') ? undefined : riskLike(from.track);
        throw new ValidationError(
          meant
            ? `"${input.from}" is neither a risk nor a track of ${access.url}: did you mean "${meant}"?`
            : `Track "${from.track}" does not exist on ${access.url} (its tracks: ${row.tracks.join(', ')})`,
          'from',
        );
      }
      if (!access.canReadChannel(from.track, from.risk)) {
        throw new PermissionDeniedError(`You may not read ${formatChannel(from)} of ${access.url}, so you may not promote from it`);
      }

      const rows = await readChannelMaps(sql, entityId);
      const pointers = rows.map((channel) => ({ ...channel, risk: riskFromDb(channel.risk), branch: channel.branch || null, revision: channel.revisionId }));
      const lifetimeMs = ctx.settings.branchTtlSeconds * 1000;
      const status = new ChannelSet(pointers, now, lifetimeMs).status(from);
      const maps = platformViews(rows, pointers, now, lifetimeMs);
      const mayRead = (channel: ChannelName) => access.canReadChannel(channel.track, channel.risk);
      const rowOf = (channel: ChannelName) => rows[pointers.findIndex((pointer) => formatChannel(pointer) === formatChannel(channel))]!;

      // What `from` serves to each platform its track knows (fall-back per platform), grouped by the release that set it.
      const groups = new Map<number, { revisionId: number; releaseId: number; platforms: Platform[]; servedBy: ChannelName }>();
      const rollouts = new Map<string, { channel: string; revisionId: number; percentage: number; previousRevisionId: number | null; platforms: Platform[] }>();
      for (const platform of maps.trackPlatforms(from.track)) {
        const served = maps.platformSet(platform).status(from);
        if (!served.servedBy || !served.effectiveRevision || !mayRead(served.servedBy)) continue;
        const servingRow = rowOf(served.servedBy);
        const releaseId = served.effectiveRevision.releaseId ?? servingRow.history[0]?.id;
        if (releaseId === undefined) continue;
        // A rollout of the entry, or of the channel's own pointer for an entry written before channel maps.
        const entryRollout = served.effectiveRevision.rollout;
        const pointerPercentage = served.effectiveRevision.releaseId === null ? servingRow.history[0]?.progressivePercentage : null;
        const rollout = entryRollout
          ? { percentage: entryRollout.percentage, previousRevisionId: entryRollout.previous?.revisionId ?? null }
          : rolloutInProgress(pointerPercentage)
            ? { percentage: pointerPercentage, previousRevisionId: servingRow.previousRelease?.revisionId ?? null }
            : null;
        if (rollout) {
          const channel = formatChannel(served.servedBy);
          const key = `${channel} ${releaseId}`;
          const known = rollouts.get(key) ?? { channel, revisionId: served.effectiveRevision.revisionId, ...rollout, platforms: [] };
          known.platforms.push(platform);
          rollouts.set(key, known);
        }
        const group = groups.get(releaseId) ?? { revisionId: served.effectiveRevision.revisionId, releaseId, platforms: [], servedBy: served.servedBy };
        group.platforms.push(platform);
        groups.set(releaseId, group);
      }
      if (groups.size === 0) {
        throw new NotFoundError(
          `Nothing is released in ${formatChannel(from)} of ${access.url} to promote: tried ${describeChannels(status.tried)} (closed, expired or never released)`,
        );
      }
      // Oldest release first, and last the one clients naming no base get from `from`, so the targets' own pointers agree with it.
      const channelLevel = status.servedBy && mayRead(status.servedBy) ? status.effectiveRevision : null;
      const ordered = [...groups.values()].sort(
        (a, b) => Number(a.revisionId === channelLevel) - Number(b.revisionId === channelLevel) || a.releaseId - b.releaseId,
      );
      const involved = [...rollouts.values()].flatMap((rollout) => (rollout.previousRevisionId === null ? [rollout.revisionId] : [rollout.revisionId, rollout.previousRevisionId]));
      // The revisions' numbers, the pins of the releases copied, and the targets as appendReleases needs them: one statement.
      const [read] = await sql.query<{ numbers: unknown; pins: unknown; targetChannels: unknown; releaseIds: unknown }>(Prisma.sql`
        SELECT
          (SELECT COALESCE(json_agg(json_build_object('id', r."id", 'number', r."number")), '[]'::json)
             FROM "Revision" r WHERE r."id" = ANY (${[...involved, ...ordered.map((group) => group.revisionId)]}::int[])) AS "numbers",
          (SELECT COALESCE(json_agg(json_build_object('releaseId', p."releaseId", 'resourceRevisionId', p."resourceRevisionId", 'name', s."name", 'revision', v."revision")
                    ORDER BY p."releaseId", p."resourceRevisionId"), '[]'::json)
             FROM "ReleaseResource" p JOIN "ResourceRevision" v ON v."id" = p."resourceRevisionId" JOIN "Resource" s ON s."id" = v."resourceId"
             WHERE p."releaseId" = ANY (${ordered.map((group) => group.releaseId)}::int[])) AS "pins",
          ${releaseTargetsColumns(entityId, targets, targets.length * ordered.length)}`);
      const numbers = parseJson(read!.numbers) as Array<{ id: number; number: number }>;
      const pins = parseJson(read!.pins) as Array<{ releaseId: number; resourceRevisionId: number; name: string; revision: number }>;
      const numberOf = (revisionId: number) => numbers.find((revision) => revision.id === revisionId)!.number;
      if (rollouts.size > 0) {
        refusePromotingRollouts(
          access.url,
          [...rollouts.values()].map((rollout) => ({
            channel: rollout.channel,
            revision: numberOf(rollout.revisionId),
            percentage: rollout.percentage,
            previousRevision: rollout.previousRevisionId === null ? null : numberOf(rollout.previousRevisionId),
            platforms: platformsToBases(rollout.platforms).map((base) => `${base.name} ${base.channel}/${base.architectures.join(',')}`),
          })),
        );
      }

      const main = ordered[ordered.length - 1]!;
      const what = `${access.url}-${numberOf(main.revisionId)}`;
      const served = formatChannel(main.servedBy);
      const pinsOf = (releaseId: number) => pins.filter((pin) => pin.releaseId === releaseId).map((pin) => ({ name: pin.name, revision: pin.revision }));
      const audit = {
        action: 'promote',
        target: what,
        after: {
          from: served,
          channels: targets.map(formatChannel),
          resources: pinsOf(main.releaseId),
          entries: ordered.map((group) => ({
            revision: numberOf(group.revisionId),
            from: formatChannel(group.servedBy),
            bases: platformsToBases(group.platforms).map((base) => ({ ...base })),
            resources: pinsOf(group.releaseId),
          })),
        },
      } as const;
      const { releases, webhooksQueued } = await appendReleases(sql, {
        entityId,
        channels: targets,
        entries: ordered.map((group) => ({
          revisionId: group.revisionId,
          resourceRevisionIds: pins.filter((pin) => pin.releaseId === group.releaseId).map((pin) => pin.resourceRevisionId),
          platforms: group.platforms,
          replace: 'same' as const,
        })),
        now,
        actorId: actor.userId,
        branchLifetimeMs: lifetimeMs,
        targets: parseReleaseTargets(read!, targets.length),
        changeRecord: changeRecord(audit, null),
      });
      return {
        result: { from: served, releases },
        audit,
        recorded: { webhooksQueued: webhooksQueued > 0 },
        event: { kind: 'channels-released', entityId, releaseIds: releases.map((entry) => entry.id) },
      };
    },
  });
}

/** A channel of the entity as promote reads it: its pointer, its map entries (with the rollouts they hold), and its newest release. */
type PromotedChannelRow = MapRow & {
  id: number;
  track: string;
  risk: Risk;
  branch: string;
  lastReleasedAt: Date | null;
  previousRelease: { revisionId: number | null } | null;
  /** The newest release (not a close): the pointer always equals it, and it pins the resources of a pointer without map entries. */
  history: Array<{ id: number; progressivePercentage: number | null }>;
};

/** Every channel of the entity with its map entries: one statement. */
async function readChannelMaps(sql: SqlExecutor, entityId: number): Promise<PromotedChannelRow[]> {
  const rows = await sql.query<Omit<PromotedChannelRow, 'bases' | 'previousRelease' | 'history'> & { bases: unknown; previousRelease: unknown; history: unknown }>(Prisma.sql`
    SELECT c."id", c."track", c."risk", c."branch", c."revisionId", c."closed", c."lastReleasedAt",
      (SELECT COALESCE(json_agg(json_build_object('name', b."name", 'baseChannel', b."baseChannel", 'architecture', b."architecture",
                'revisionId', b."revisionId", 'releaseId', b."releaseId",
                'release', json_build_object('progressivePercentage', br."progressivePercentage"),
                'previousRelease', CASE WHEN pr."id" IS NULL THEN NULL ELSE json_build_object('id', pr."id", 'revisionId', pr."revisionId") END) ORDER BY b."id"), '[]'::json)
         FROM "ChannelBase" b JOIN "Release" br ON br."id" = b."releaseId" LEFT JOIN "Release" pr ON pr."id" = b."previousReleaseId"
         WHERE b."channelId" = c."id") AS "bases",
      (SELECT json_build_object('revisionId', p."revisionId") FROM "Release" p WHERE p."id" = c."previousReleaseId") AS "previousRelease",
      (SELECT COALESCE(json_agg(json_build_object('id', h."id", 'progressivePercentage', h."progressivePercentage")), '[]'::json)
         FROM (SELECT h."id", h."progressivePercentage" FROM "Release" h WHERE h."channelId" = c."id" AND h."action" = 'RELEASE' ORDER BY h."id" DESC LIMIT 1) h) AS "history"
    FROM "Channel" c WHERE c."entityId" = ${entityId}::int
    ORDER BY c."id"`);
  return rows.map((row) => ({
    ...row,
    bases: parseJson(row.bases) as PromotedChannelRow['bases'],
    previousRelease: parseJson(row.previousRelease) as PromotedChannelRow['previousRelease'],
    history: parseJson(row.history) as PromotedChannelRow['history'],
  }));
}
