import type { SqlExecutor } from '../../db/sql-executor.js';
import { type ChannelName, formatChannel, LATEST_TRACK, parseChannel, usesDefaultTrack } from '../../domain/channel.js';
import { NotFoundError, PermissionDeniedError, ValidationError } from '../../domain/errors.js';
import { checkPinArchitectures, declaredResourceNames, planResourcePins, resourceFits, type ResourcePin } from '../../domain/resource-pins.js';
import { Prisma, type Release as ReleaseRow } from '../../generated/prisma/client.js';
import type { Base } from '../../domain/bases.js';
import { ANY_PLATFORM, entryFor, type Platform, platformArchitectures, platformKey, platformsToBases, replacedEntries, revisionPlatforms } from '../../domain/channel-map.js';
import { checkPercentage, MAX_PERCENTAGE } from '../../domain/progressive.js';
import { requireSignedIn } from '../accounts/require.js';
import type { ServiceContext } from '../context.js';
import { readableResourceRevisionIds } from '../entities/resource-access.js';
import { canReadRevision } from '../entities/revision-access.js';
import { commandTarget, ENTITY_COMMAND_ERRORS, runEntityCommand } from '../pipeline/entity-command.js';
import {
  type ChannelMapWrite,
  lockedReleaseTargetsColumns,
  parseJson,
  parseReleaseTargets,
  readReleaseTargets,
  releaseTargetsColumns,
  type ReleaseTargets,
  writeChannelMaps,
} from './channel-map-sql.js';
import { checkChannelCount, writableChannels } from './channel-targets.js';
import { riskToDb } from './channel-state.js';

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
    // The revision and the target channels, read with the locking read (under the lock): no statement of its own.
    lockedColumns: () => {
      const early = channelsBeforeTheLock(input.channels);
      return early && Prisma.sql`${revisionColumn(Prisma.sql`t."id"`, number)}, ${lockedReleaseTargetsColumns(early, early.length)}`;
    },
    execute: async ({ sql, row, access, now, changeRecord, lockedColumns }) => {
      const entityId = row.id;
      const what = `${access.url}-${number}`;
      const channels = writableChannels(row, access, input.channels, 'release to');
      // The revision with the entity's resources and their revisions, the target channels, and the new releases' ids: one statement.
      const read = lockedColumns
        ? { revision: lockedColumns.revision, targets: earlyTargets(lockedColumns, input.channels, row.defaultTrack, channels) }
        : await readRevisionAndTargets(sql, entityId, number, channels);
      const revision = parseJson(read.revision) as ReleasedRevision | null;
      // Releasing makes a revision readable on the channel (and downloadable),
      // so it needs read access to it: read on `unpublished`, or a release on a
      // channel the caller may read. A revision the caller may not see gets the
      // same answer as a missing one, so the error tells nothing about it.
      if (!revision || !(await canReadRevision(ctx, access, revision.id, sql))) {
        throw new NotFoundError(`${access.url} has no revision ${number}: push it first, or pick one from its revisions`);
      }

      const declared = declaredResourceNames(revision.metadata);
      const resources = revision.resources.filter((resource) => declared.includes(resource.name));
      // The revision occupies the platforms it declares in each channel; other platforms keep their entries.
      const platforms = revisionPlatforms(revision.bases as unknown as Base[]);
      const architectures = platformArchitectures(platforms);
      // Likewise for resource revisions: those the caller may not see are
      // neither pinnable nor counted in messages, nor picked as the default.
      const readable = await readableResourceRevisionIds(sql, access);
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

      // Everything is validated; from here on only writes, the audit event with them (one statement).
      const audit = {
        action: 'release',
        target: what,
        after: { channels: channels.map(formatChannel), resources: pins.map((pin) => ({ ...pin })), ...(percentage === null ? {} : { progressive: percentage }) },
      } as const;
      const { releases, webhooksQueued } = await appendReleases(sql, {
        entityId,
        channels,
        entries: [{ revisionId: revision.id, resourceRevisionIds: pinnedIds, platforms, replace: 'covered', progressive: percentage }],
        now,
        actorId: actor.userId,
        branchLifetimeMs: ctx.settings.branchTtlSeconds * 1000,
        targets: read.targets,
        changeRecord: changeRecord(audit, null),
      });
      // With what the answer usually asks of them, known here: the GraphQL layer then reads nothing more (graphql/known-rows.ts).
      const revisionRow = { id: revision.id, entityId, number, entity: { name: access.entity.name, kind: access.entity.kind, namespace: { name: access.entity.namespace.name } } };
      const pinnedRows = pinned.map((pin) => ({ resourceRevision: { id: pin.id, revision: pin.revision, architectures: pin.architectures, resource: { name: pin.name } } }));
      const answered = releases.map((row, index) => ({
        ...row,
        channel: { track: channels[index]!.track, risk: riskToDb(channels[index]!.risk), branch: channels[index]!.branch ?? '' },
        createdBy: { username: actor.username },
        revision: revisionRow,
        resources: pinnedRows,
      }));
      return {
        result: answered,
        audit,
        recorded: { webhooksQueued: webhooksQueued > 0 },
        event: { kind: 'channels-released', entityId, releaseIds: releases.map((entry) => entry.id) },
      };
    },
  });
}

/** The revision numbered `number` of the entity `entityId` (SQL), with its entity's resources and their revisions, as JSON: a column. */
function revisionColumn(entityId: Prisma.Sql, number: number): Prisma.Sql {
  return Prisma.sql`
    (SELECT json_build_object('id', r."id", 'metadata', r."metadata", 'bases', r."bases",
       'resources', (SELECT COALESCE(json_agg(json_build_object('name', s."name",
          'revisions', (SELECT COALESCE(json_agg(json_build_object('id', rr."id", 'revision', rr."revision", 'architectures', rr."architectures") ORDER BY rr."id"), '[]'::json)
                        FROM "ResourceRevision" rr WHERE rr."resourceId" = s."id")) ORDER BY s."id"), '[]'::json)
                     FROM "Resource" s WHERE s."entityId" = r."entityId"))
     FROM "Revision" r WHERE r."entityId" = ${entityId} AND r."number" = ${number}::int) AS "revision"`;
}

async function readRevisionAndTargets(sql: SqlExecutor, entityId: number, number: number, channels: readonly ChannelName[]): Promise<{ revision: unknown; targets: ReleaseTargets }> {
  const [read] = await sql.query<{ revision: unknown; targetChannels: unknown; releaseIds: unknown }>(
    Prisma.sql`SELECT ${revisionColumn(Prisma.sql`${entityId}::int`, number)}, ${releaseTargetsColumns(entityId, channels, channels.length)}`,
  );
  return { revision: read!.revision, targets: parseReleaseTargets(read!, channels.length) };
}

/**
 * The channels as given, parsed before the entity's default track is known
 * (null track: the default's), for the read that rides with the locking
 * statement; null when one does not parse (the command then fails with
 * parseChannel's error, after the lock, as before).
 */
function channelsBeforeTheLock(inputs: readonly string[]): Array<Omit<ChannelName, 'track'> & { track: string | null }> | null {
  try {
    return inputs.map((input) => {
      const channel = parseChannel(input, LATEST_TRACK);
      return { ...channel, track: usesDefaultTrack(input) ? null : channel.track };
    });
  } catch {
    return null;
  }
}

/**
 * The target channels read with the locking statement, one per input, put
 * in the order of `channels` (the inputs resolved on the entity's default
 * track, duplicates once), with as many release ids as they need.
 */
function earlyTargets(row: Record<string, unknown>, inputs: readonly string[], defaultTrack: string, channels: readonly ChannelName[]): ReleaseTargets {
  const byInput = parseReleaseTargets(row as { targetChannels: unknown; releaseIds: unknown }, inputs.length);
  const names = inputs.map((input) => formatChannel(parseChannel(input, defaultTrack)));
  return {
    channels: channels.map((channel) => byInput.channels[names.indexOf(formatChannel(channel))] ?? null),
    releaseIds: byInput.releaseIds.slice(0, channels.length),
  };
}

/** The revision a release reads, with its entity's resources and their revisions. */
interface ReleasedRevision {
  id: number;
  metadata: Prisma.JsonValue;
  bases: Prisma.JsonValue;
  resources: Array<{ name: string; revisions: Array<{ id: number; revision: number; architectures: string[] }> }>;
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
 * and promote, run inside their entity command. Two statements whatever the
 * number of channels (channel-map-sql.ts): the read of the channels (skipped
 * when the caller read them with its own query, `targets`) and the write.
 * Returns the new Release rows, channel by channel, and how many webhook
 * deliveries `changeRecord` queued.
 */
export async function appendReleases(
  sql: SqlExecutor,
  what: {
    entityId: number;
    channels: readonly ChannelName[];
    entries: readonly MapRelease[];
    now: Date;
    actorId: number;
    branchLifetimeMs: number;
    targets?: ReleaseTargets;
    /** The pipeline's audit CTEs, to record the change in the write statement. */
    changeRecord?: Prisma.Sql;
  },
): Promise<{ releases: ReleaseRow[]; webhooksQueued: number }> {
  const { entityId, now } = what;
  if (what.entries.length === 0) return { releases: [], webhooksQueued: 0 };
  const targets = what.targets ?? (await readReleaseTargets(sql, entityId, what.channels, what.channels.length * what.entries.length));
  const write: ChannelMapWrite = { entityId, now, actorId: what.actorId, channels: [], releases: [], pins: [], removedEntryIds: [], entries: [] };
  const releases: Array<Omit<ReleaseRow, 'channelId'> & { channel: number }> = [];
  let nextId = 0;
  what.channels.forEach((channel, channelIndex) => {
    const existing = targets.channels[channelIndex] ?? null;
    const stored = existing?.bases ?? [];
    let held: HeldEntry[] = stored.map((entry) => ({
      id: entry.id,
      platform: { name: entry.name, channel: entry.baseChannel, architecture: entry.architecture },
      servedToOthers: rolloutInProgress(entry.progressivePercentage) ? entry.previousReleaseId : entry.releaseId,
    }));
    // An expired branch is closed: releasing to it opens it afresh, without the platforms it served before.
    const expired = channel.branch !== null && existing?.lastReleasedAt != null && now.getTime() >= existing.lastReleasedAt + what.branchLifetimeMs;
    if (expired) held = [];
    // A pointer written before channel maps serves every platform: keep it so, as an entry, before other platforms get their own.
    const newest = existing?.newest ?? null;
    if (existing && !expired && held.length === 0 && existing.revisionId !== null && !existing.closed && newest) {
      held = [{ id: null, platform: ANY_PLATFORM, servedToOthers: newest.id, written: { revisionId: existing.revisionId, releaseId: newest.id, previousReleaseId: null } }];
    }
    // What the channel's own pointer served before: what instances outside a new rollout keep getting.
    const open = existing && !expired && !existing.closed && existing.revisionId !== null && newest;
    const channelServed = open ? (rolloutInProgress(newest.progressivePercentage) ? existing.previousReleaseId : newest.id) : null;
    let pointer = { channel, revisionId: 0, previousReleaseId: null as number | null };
    for (const entry of what.entries) {
      const rollout = rolloutInProgress(entry.progressive);
      pointer = { channel, revisionId: entry.revisionId, previousReleaseId: rollout ? channelServed : null };
      const releaseId = targets.releaseIds[nextId++]!;
      const bases = platformsToBases(entry.platforms);
      releases.push({
        id: releaseId,
        channel: channelIndex,
        entityId,
        action: 'RELEASE',
        revisionId: entry.revisionId,
        createdAt: now,
        createdById: what.actorId,
        bases: bases as unknown as Prisma.JsonValue,
        progressivePercentage: entry.progressive ?? null,
      });
      write.releases.push({ id: releaseId, channel: channelIndex, revisionId: entry.revisionId, bases, progressivePercentage: entry.progressive ?? null });
      write.pins.push(...entry.resourceRevisionIds.map((resourceRevisionId) => ({ releaseId, resourceRevisionId })));
      const occupied = new Set(entry.platforms.map(platformKey));
      // Computed before the entries are replaced: what each platform got until now.
      const previousFor = (platform: Platform) => (rollout ? (entryFor(held, platform)?.servedToOthers ?? null) : null);
      const replaced = entry.replace === 'covered' ? replacedEntries(held, entry.platforms) : held.filter((h) => occupied.has(platformKey(h.platform)));
      held = [
        ...held.filter((h) => !replaced.includes(h)),
        ...entry.platforms.map((platform) => {
          const previousReleaseId = previousFor(platform);
          return { id: null, platform, servedToOthers: rollout ? previousReleaseId : releaseId, written: { revisionId: entry.revisionId, releaseId, previousReleaseId } };
        }),
      ];
    }
    write.channels.push(pointer);
    // Only the outcome is written: entries gone since the read are removed, new ones written (replacing a stored one of the same platform).
    const written = held.filter((h) => h.written);
    const rewritten = new Set(written.map((h) => platformKey(h.platform)));
    const kept = new Set(held.map((h) => h.id));
    const gone = stored.filter((entry) => !kept.has(entry.id) && !rewritten.has(platformKey({ name: entry.name, channel: entry.baseChannel, architecture: entry.architecture })));
    write.removedEntryIds.push(...gone.map((entry) => entry.id));
    write.entries.push(...written.map((h) => ({ channel: channelIndex, ...toRow(h.platform), ...h.written! })));
  });
  const { channelIds, webhooksQueued } = await writeChannelMaps(sql, write, what.changeRecord);
  return { releases: releases.map(({ channel, ...row }) => ({ ...row, channelId: channelIds[channel]! })), webhooksQueued };
}

/** A map entry as a release finds it; `servedToOthers` is the release a new rollout's other instances get from it. */
interface HeldEntry {
  /** The stored entry's id; null for one this write creates. */
  id: number | null;
  platform: Platform;
  servedToOthers: number | null;
  /** What this write stores for a new entry. */
  written?: { revisionId: number; releaseId: number; previousReleaseId: number | null };
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
