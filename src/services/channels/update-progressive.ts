import type { Tx } from '../../db/database.js';
import { type ChannelName, formatChannel } from '../../domain/channel.js';
import type { Platform } from '../../domain/channel-map.js';
import { platformsToBases } from '../../domain/channel-map.js';
import { NotFoundError, PermissionDeniedError, ValidationError } from '../../domain/errors.js';
import { checkPercentage, MAX_PERCENTAGE } from '../../domain/progressive.js';
import type { Prisma, Release as ReleaseRow } from '../../generated/prisma/client.js';
import { requireSignedIn } from '../accounts/require.js';
import type { ServiceContext } from '../context.js';
import { commandTarget, ENTITY_COMMAND_ERRORS, runEntityCommand } from '../pipeline/entity-command.js';
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
    prismaTransaction: true,
    execute: async ({ tx, row, access, now }) => {
      const channels = writableChannels(row, access, input.channels, 'release to');
      const releases: ReleaseRow[] = [];
      for (const channel of channels) {
        releases.push(...(await moveRollouts(tx, { entityId: row.id, channel, change, now, actorId: actor.userId, url: access.url })));
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

const releaseSelect = { id: true, revisionId: true, bases: true, progressivePercentage: true, resources: { select: { resourceRevisionId: true } } } as const;

async function moveRollouts(
  tx: Tx,
  what: { entityId: number; channel: ChannelName; change: Change; now: Date; actorId: number; url: string },
): Promise<ReleaseRow[]> {
  const { entityId, channel, change, now, actorId } = what;
  const name = formatChannel(channel);
  const row = await tx.channel.findUnique({
    where: { entityId_track_risk_branch: { entityId, track: channel.track, risk: riskToDb(channel.risk), branch: channel.branch ?? '' } },
    select: {
      id: true,
      closed: true,
      revisionId: true,
      previousRelease: { select: releaseSelect },
      history: { orderBy: { id: 'desc' }, take: 1, select: { action: true, ...releaseSelect } },
      bases: {
        select: {
          id: true,
          name: true,
          baseChannel: true,
          architecture: true,
          release: { select: releaseSelect },
          previousRelease: { select: releaseSelect },
        },
      },
    },
  });
  const newest = row?.history[0];
  const pointerRollout = row && !row.closed && row.revisionId !== null && newest?.action === 'RELEASE' && rolloutInProgress(newest.progressivePercentage) ? newest : null;
  const entries = (row?.bases ?? []).filter((entry) => rolloutInProgress(entry.release.progressivePercentage));
  if (!row || (!pointerRollout && entries.length === 0)) {
    throw new ValidationError(`${name} of ${what.url} has no progressive release in progress: release a revision with progressive: {percentage: ...} first`, 'channels');
  }

  type Source = Prisma.ReleaseGetPayload<{ select: typeof releaseSelect }>;
  const append = (source: Source | null, platforms: Platform[] | null, percentage: number | null) =>
    tx.release.create({
      data: {
        channelId: row.id,
        entityId,
        action: source ? 'RELEASE' : 'CLOSE',
        revisionId: source?.revisionId ?? null,
        createdAt: now,
        createdById: actorId,
        // The platforms moved; for the channel's own pointer alone, those of the release it repeats.
        bases: platforms ? (platformsToBases(platforms) as unknown as Prisma.InputJsonValue) : (source?.bases ?? []) as Prisma.InputJsonValue,
        progressivePercentage: percentage,
        resources: { create: (source?.resources ?? []).map((pin) => ({ resourceRevisionId: pin.resourceRevisionId })) },
      },
    });
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
    const release = await append(group.source, group.platforms, group.percentage);
    written.push(release);
    if (!group.source) {
      await tx.channelBase.deleteMany({ where: { id: { in: group.entryIds } } });
      continue;
    }
    const completed = group.percentage === null || group.percentage >= MAX_PERCENTAGE;
    await tx.channelBase.updateMany({
      where: { id: { in: group.entryIds } },
      data: { revisionId: group.source.revisionId!, releaseId: release.id, ...(completed ? { previousReleaseId: null } : {}) },
    });
  }
  if (pointerTarget !== undefined) {
    // No entry group wrote what the pointer moves to (a channel released to before channel maps): its own entry.
    if (pointerKey === undefined || !groups.has(pointerKey)) written.push(await append(pointerTarget, null, 'cancel' in change ? null : change.percentage));
    const completed = 'cancel' in change || change.percentage >= MAX_PERCENTAGE;
    await tx.channel.update({
      where: { id: row.id },
      data: {
        revisionId: pointerTarget ? pointerTarget.revisionId : null,
        updatedAt: now,
        lastReleasedAt: now,
        ...(completed ? { previousReleaseId: null } : {}),
      },
    });
  }
  return written;
}
