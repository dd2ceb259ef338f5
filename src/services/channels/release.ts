import type { Tx } from '../../db/database.js';
import { type ChannelName, formatChannel } from '../../domain/channel.js';
import { NotFoundError, PermissionDeniedError, ValidationError } from '../../domain/errors.js';
import { checkPinArchitectures, declaredResourceNames, planResourcePins, resourceFits, type ResourcePin } from '../../domain/resource-pins.js';
import type { Prisma, Release as ReleaseRow } from '../../generated/prisma/client.js';
import type { Base } from '../../domain/bases.js';
import { ANY_PLATFORM, entryFor, type Platform, platformArchitectures, platformKey, platformsToBases, replacedEntries, revisionPlatforms } from '../../domain/channel-map.js';
import { checkPercentage, MAX_PERCENTAGE } from '../../domain/progressive.js';
import { requireSignedIn } from '../accounts/require.js';
import type { ServiceContext } from '../context.js';
import { readableResourceRevisionIds } from '../entities/resource-access.js';
import { canReadRevision } from '../entities/revision-access.js';
import { commandTarget, ENTITY_COMMAND_ERRORS, runEntityCommand } from '../pipeline/entity-command.js';
import { riskToDb } from './channel-state.js';
import { checkChannelCount, writableChannels } from './channel-targets.js';

/** What release can answer besides success. */
export const releaseErrors = [...ENTITY_COMMAND_ERRORS, NotFoundError, PermissionDeniedError, ValidationError] as const;

export interface ReleaseInput {
  url: string;
  revision?: number | null;
  channels: readonly string[];
  resources?: readonly ResourcePin[] | null;
  /** A progressive release: the percentage of instances to serve the revision to. */
  progressive?: { percentage: number } | null;
}

/**
 * Points each channel at the revision and appends a release (who, when,
 * which resource revisions, which platforms) to each channel's history; in
 * each channel's map the revision takes the platforms it declares and the
 * others keep theirs: all channels or none,
 * in one transaction under the entity's lock. Returns the new Release rows
 * in the order of the channels.
 */
export async function release(ctx: ServiceContext, input: ReleaseInput): Promise<ReleaseRow[]> {
  const actor = requireSignedIn(ctx);
  checkChannelCount(input.channels, ctx.settings.maxChannelsPerChange, 'release to');
  const percentage = input.progressive ? checkPercentage(input.progressive.percentage, 'progressive.percentage') : null;
  const { target, url, canonical } = await commandTarget(ctx, input.url);
  const number = revisionNumber(url.revision, input.revision, canonical);

  return runEntityCommand(ctx, {
    target,
    execute: async ({ tx, row, access, now }) => {
      const entityId = row.id;
      const what = `${access.url}-${number}`;
      const channels = writableChannels(row, access, input.channels, 'release to');
      // The revision with the entity's resources and their revisions: one statement.
      const revision = await tx.revision.findUnique({
        where: { entityId_number: { entityId, number } },
        select: {
          id: true,
          metadata: true,
          bases: true,
          entity: { select: { resources: { select: { name: true, revisions: { select: { id: true, revision: true, architectures: true } } } } } },
        },
      });
      // Releasing makes a revision readable on the channel (and downloadable),
      // so it needs read access to it: read on `unpublished`, or a release on a
      // channel the caller may read. A revision the caller may not see gets the
      // same answer as a missing one, so the error tells nothing about it.
      if (!revision || !(await canReadRevision(ctx, access, revision.id, tx))) {
        throw new NotFoundError(`${access.url} has no revision ${number}: push it first, or pick one from its revisions`);
      }

      const declared = declaredResourceNames(revision.metadata);
      const resources = revision.entity.resources.filter((resource) => declared.includes(resource.name));
      // The revision occupies the platforms it declares in each channel; other platforms keep their entries.
      const platforms = revisionPlatforms(revision.bases as unknown as Base[]);
      const architectures = platformArchitectures(platforms);
      // Likewise for resource revisions: those the caller may not see are
      // neither pinnable nor counted in messages, nor picked as the default.
      const readable = await readableResourceRevisionIds(tx, access);
      const visible = (r: { id: number }) => readable === 'all' || readable.has(r.id);
      const pins = planResourcePins(
        what,
        declared,
        input.resources ?? [],
        new Map(resources.map((resource) => [resource.name, resource.revisions.filter(visible).map((r) => r.revision)])),
        new Map(resources.map((resource) => [resource.name, resource.revisions.filter((r) => visible(r) && resourceFits(r.architectures, architectures)).map((r) => r.revision)])),
      );
      const pinned = pins.map((pin) => ({ ...pin, ...resources.find((r) => r.name === pin.name)!.revisions.find((r) => r.revision === pin.revision)! }));
      checkPinArchitectures(what, architectures, pinned);
      const pinnedIds = pinned.map((pin) => pin.id);

      // Everything is validated; from here on only writes.
      const releases = await appendReleases(tx, {
        entityId,
        channels,
        entries: [{ revisionId: revision.id, resourceRevisionIds: pinnedIds, platforms, replace: 'covered', progressive: percentage }],
        now,
        actorId: actor.userId,
        branchLifetimeMs: ctx.settings.branchTtlSeconds * 1000,
      });
      return {
        result: releases,
        audit: {
          action: 'release',
          target: what,
          after: { channels: channels.map(formatChannel), resources: pins.map((pin) => ({ ...pin })), ...(percentage === null ? {} : { progressive: percentage }) },
        },
        event: { kind: 'channels-released', entityId, releaseIds: releases.map((entry) => entry.id) },
      };
    },
  });
}

/** What one release entry writes: a revision, its resource pins, and the platforms it occupies. */
export interface MapRelease {
  revisionId: number;
  resourceRevisionIds: readonly number[];
  platforms: readonly Platform[];
  /**
   * "covered": replaces the entries of those platforms and the narrower ones
   * they cover (a release: every platform the revision declares then gets
   * it); "same": replaces the entries of exactly those platforms (promote
   * copying a channel map entry by entry).
   */
  replace: 'covered' | 'same';
  /**
   * A progressive release: the percentage of instances that get the
   * revision; the others keep what each platform (and the channel's own
   * pointer) served before, or, when that was itself a rollout in progress,
   * what it had replaced. Null or absent: a release to every instance.
   */
  progressive?: number | null;
}

/**
 * Appends to each channel's history one release entry per `MapRelease`
 * (with its resource pins and the platforms it occupied), points the
 * channel's map entries for those platforms at it and leaves the other
 * platforms' entries alone, and points the channel itself at the last
 * entry's revision (what clients naming no base get): the writes of release
 * and promote, run inside their entity command. Returns the new Release
 * rows, channel by channel.
 */
export async function appendReleases(
  tx: Tx,
  what: { entityId: number; channels: readonly ChannelName[]; entries: readonly MapRelease[]; now: Date; actorId: number; branchLifetimeMs: number },
): Promise<ReleaseRow[]> {
  const { entityId, now } = what;
  const releases: ReleaseRow[] = [];
  for (const channel of what.channels) {
    const key = { entityId, track: channel.track, risk: riskToDb(channel.risk), branch: channel.branch ?? '' };
    const existing = await tx.channel.findUnique({
      where: { entityId_track_risk_branch: key },
      select: {
        id: true,
        revisionId: true,
        closed: true,
        lastReleasedAt: true,
        previousReleaseId: true,
        bases: {
          select: { id: true, name: true, baseChannel: true, architecture: true, releaseId: true, previousReleaseId: true, release: { select: { progressivePercentage: true } } },
        },
        history: { where: { action: 'RELEASE' }, orderBy: { id: 'desc' }, take: 1, select: { id: true, progressivePercentage: true } },
      },
    });
    let held: HeldEntry[] = (existing?.bases ?? []).map((entry) => ({
      id: entry.id,
      platform: { name: entry.name, channel: entry.baseChannel, architecture: entry.architecture },
      servedToOthers: rolloutInProgress(entry.release.progressivePercentage) ? entry.previousReleaseId : entry.releaseId,
    }));
    // An expired branch is closed: releasing to it opens it afresh, without the platforms it served before.
    const expired =
      channel.branch !== null && existing?.lastReleasedAt != null && now.getTime() >= existing.lastReleasedAt.getTime() + what.branchLifetimeMs;
    if (expired && held.length) {
      await tx.channelBase.deleteMany({ where: { id: { in: held.map((h) => h.id) } } });
      held = [];
    }
    // A pointer written before channel maps serves every platform: keep it so, as an entry, before other platforms get their own.
    const newest = existing?.history[0];
    if (existing && !expired && held.length === 0 && existing.revisionId !== null && !existing.closed && newest) {
      const entry = await tx.channelBase.create({
        data: { channelId: existing.id, ...toRow(ANY_PLATFORM), revisionId: existing.revisionId, releaseId: newest.id },
        select: { id: true },
      });
      held = [{ id: entry.id, platform: ANY_PLATFORM, servedToOthers: newest.id }];
    }
    // What the channel's own pointer served before: what instances outside a new rollout keep getting.
    const open = existing && !expired && !existing.closed && existing.revisionId !== null && newest;
    const channelServed = open ? (rolloutInProgress(newest.progressivePercentage) ? existing.previousReleaseId : newest.id) : null;
    for (const entry of what.entries) {
      const rollout = rolloutInProgress(entry.progressive);
      const pointer = { revisionId: entry.revisionId, closed: false, lastReleasedAt: now, updatedAt: now, previousReleaseId: rollout ? channelServed : null };
      const channelRow = await tx.channel.upsert({
        where: { entityId_track_risk_branch: key },
        create: { ...key, ...pointer },
        update: pointer,
        select: { id: true },
      });
      const row = await tx.release.create({
        data: {
          channelId: channelRow.id,
          entityId,
          action: 'RELEASE',
          revisionId: entry.revisionId,
          createdAt: now,
          createdById: what.actorId,
          bases: platformsToBases(entry.platforms) as unknown as Prisma.InputJsonValue,
          progressivePercentage: entry.progressive ?? null,
          resources: { create: entry.resourceRevisionIds.map((resourceRevisionId) => ({ resourceRevisionId })) },
        },
      });
      releases.push(row);
      const occupied = new Set(entry.platforms.map(platformKey));
      // Computed before the entries are replaced: what each platform got until now.
      const previousFor = (platform: Platform) => (rollout ? (entryFor(held, platform)?.servedToOthers ?? null) : null);
      const replaced = entry.replace === 'covered' ? replacedEntries(held, entry.platforms) : held.filter((h) => occupied.has(platformKey(h.platform)));
      if (replaced.length) await tx.channelBase.deleteMany({ where: { id: { in: replaced.map((h) => h.id) } } });
      const created = await tx.channelBase.createManyAndReturn({
        data: entry.platforms.map((platform) => ({
          channelId: channelRow.id,
          ...toRow(platform),
          revisionId: entry.revisionId,
          releaseId: row.id,
          previousReleaseId: previousFor(platform),
        })),
        select: { id: true, name: true, baseChannel: true, architecture: true, previousReleaseId: true },
      });
      held = [
        ...held.filter((h) => !replaced.includes(h)),
        ...created.map((c) => ({
          id: c.id,
          platform: { name: c.name, channel: c.baseChannel, architecture: c.architecture },
          servedToOthers: rollout ? c.previousReleaseId : row.id,
        })),
      ];
    }
  }
  return releases;
}

/** A map entry as a release finds it; `servedToOthers` is the release a new rollout's other instances get from it. */
interface HeldEntry {
  id: number;
  platform: Platform;
  servedToOthers: number | null;
}

/** A progressive percentage still short of everyone. */
export function rolloutInProgress(percentage: number | null | undefined): percentage is number {
  return percentage !== null && percentage !== undefined && percentage < MAX_PERCENTAGE;
}

function toRow(platform: Platform): { name: string; baseChannel: string; architecture: string } {
  return { name: platform.name, baseChannel: platform.channel, architecture: platform.architecture };
}

/** The revision comes from the url (`cs:~kirk/foo-9`) or the `revision` field; both must agree. */
function revisionNumber(fromUrl: number | undefined, fromInput: number | null | undefined, url: string): number {
  if (fromUrl !== undefined && fromInput !== undefined && fromInput !== null && fromUrl !== fromInput) {
    throw new ValidationError(`The url names revision ${fromUrl} but revision is ${fromInput}: give the revision once, or make them agree`, 'revision');
  }
  const number = fromUrl ?? fromInput;
  if (number === undefined || number === null) {
    throw new ValidationError(`Say which revision to release: "${url}-9" in the url, or revision: 9`, 'revision');
  }
  if (number < 0) throw new ValidationError(`Revision numbers start at 0, not ${number}`, 'revision');
  return number;
}
