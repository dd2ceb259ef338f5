import { type ChannelName, formatChannel, parseChannel, riskLike } from '../../domain/channel.js';
import { NotFoundError, PermissionDeniedError, ValidationError } from '../../domain/errors.js';
import { ChannelSet, describeChannels } from '../../domain/fallback.js';
import { refusePromotingRollouts } from '../../domain/progressive.js';
import type { Release as ReleaseRow } from '../../generated/prisma/client.js';
import { requireSignedIn } from '../accounts/require.js';
import type { ServiceContext } from '../context.js';
import { requireEntity } from '../entities/find-entity.js';
import { ENTITY_COMMAND_ERRORS, runEntityCommand, targetOf } from '../pipeline/entity-command.js';
import { type Platform, platformsToBases } from '../../domain/channel-map.js';
import { platformViews, riskFromDb } from './channel-state.js';
import { checkChannelCount, writableChannels } from './channel-targets.js';
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
  const { access: found } = await requireEntity(ctx, input.url);

  return runEntityCommand(ctx, {
    target: targetOf(found, input.url),
    prismaTransaction: true,
    execute: async ({ tx, sql, row, access, now }) => {
      const entityId = row.id;
      const from = parseChannel(input.from, row.defaultTrack, 'from');
      const targets = writableChannels(row, access, input.to, 'release to');
      if (targets.some((target) => formatChannel(target) === formatChannel(from))) {
        throw new ValidationError(`"${input.from}" is both the channel to promote from and one to promote to: name other channels in "to"`, 'to');
      }
      const tracks = await tx.track.findMany({ where: { entityId }, select: { name: true } });
      if (!tracks.some((track) => track.name === from.track)) {
        const meant = input.from.includes('/') ? undefined : riskLike(from.track);
        throw new ValidationError(
          meant
            ? `"${input.from}" is neither a risk nor a track of ${access.url}: did you mean "${meant}"?`
            : `Track "${from.track}" does not exist on ${access.url} (its tracks: ${tracks.map((track) => track.name).join(', ')})`,
          'from',
        );
      }
      if (!access.canReadChannel(from.track, from.risk)) {
        throw new PermissionDeniedError(`You may not read ${formatChannel(from)} of ${access.url}, so you may not promote from it`);
      }

      const rows = await tx.channel.findMany({
        where: { entityId },
        select: {
          id: true,
          track: true,
          risk: true,
          branch: true,
          revisionId: true,
          closed: true,
          lastReleasedAt: true,
          bases: {
            select: {
              name: true,
              baseChannel: true,
              architecture: true,
              revisionId: true,
              releaseId: true,
              // Rollouts in progress are refused as a source (see refusePromotingRollouts).
              release: { select: { progressivePercentage: true } },
              previousRelease: { select: { id: true, revisionId: true } },
            },
          },
          previousRelease: { select: { revisionId: true } },
          // The pointer always equals the newest release, which pins the resources of a pointer without map entries.
          history: { where: { action: 'RELEASE' }, orderBy: { id: 'desc' }, take: 1, select: { id: true, progressivePercentage: true } },
        },
      });
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
      if (rollouts.size > 0) {
        const involved = [...rollouts.values()].flatMap((rollout) => (rollout.previousRevisionId === null ? [rollout.revisionId] : [rollout.revisionId, rollout.previousRevisionId]));
        const known = await tx.revision.findMany({ where: { id: { in: involved } }, select: { id: true, number: true } });
        const number = (revisionId: number) => known.find((revision) => revision.id === revisionId)!.number;
        refusePromotingRollouts(
          access.url,
          [...rollouts.values()].map((rollout) => ({
            channel: rollout.channel,
            revision: number(rollout.revisionId),
            percentage: rollout.percentage,
            previousRevision: rollout.previousRevisionId === null ? null : number(rollout.previousRevisionId),
            platforms: platformsToBases(rollout.platforms).map((base) => `${base.name} ${base.channel}/${base.architectures.join(',')}`),
          })),
        );
      }
      // Oldest release first, and last the one clients naming no base get from `from`, so the targets' own pointers agree with it.
      const channelLevel = status.servedBy && mayRead(status.servedBy) ? status.effectiveRevision : null;
      const ordered = [...groups.values()].sort(
        (a, b) => Number(a.revisionId === channelLevel) - Number(b.revisionId === channelLevel) || a.releaseId - b.releaseId,
      );
      const pins = await tx.releaseResource.findMany({
        where: { releaseId: { in: ordered.map((group) => group.releaseId) } },
        select: { releaseId: true, resourceRevisionId: true, resourceRevision: { select: { revision: true, resource: { select: { name: true } } } } },
      });
      const numbers = await tx.revision.findMany({ where: { id: { in: ordered.map((group) => group.revisionId) } }, select: { id: true, number: true } });
      const numberOf = (revisionId: number) => numbers.find((revision) => revision.id === revisionId)!.number;

      const { releases } = await appendReleases(sql, {
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
      });
      const main = ordered[ordered.length - 1]!;
      const what = `${access.url}-${numberOf(main.revisionId)}`;
      const served = formatChannel(main.servedBy);
      const pinsOf = (releaseId: number) =>
        pins.filter((pin) => pin.releaseId === releaseId).map((pin) => ({ name: pin.resourceRevision.resource.name, revision: pin.resourceRevision.revision }));
      return {
        result: { from: served, releases },
        audit: {
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
        },
        event: { kind: 'channels-released', entityId, releaseIds: releases.map((entry) => entry.id) },
      };
    },
  });
}
