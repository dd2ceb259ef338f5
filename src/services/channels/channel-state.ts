import DataLoader from 'dataloader';
import type { Risk } from '../../generated/prisma/client.js';
import { type ChannelName, formatChannel, parseChannel, type RiskName } from '../../domain/channel.js';
import { ValidationError } from '../../domain/errors.js';
import { ChannelSet, type ChannelStatus, orderTracks } from '../../domain/fallback.js';
import type { Base } from '../../domain/bases.js';
import { ANY_PLATFORM, entryFor, isAnyPlatform, type Platform, platformKey, sortPlatforms } from '../../domain/channel-map.js';
import { MAX_PERCENTAGE, receivesRollout, type Rollout } from '../../domain/progressive.js';
import type { EntityAccess } from '../authorization/entity-access.js';
import type { ServiceContext } from '../context.js';
import { entityAccessLoader } from '../entities/find-entity.js';
import { type EntityStateRow, entityRowLoader } from '../entities/entity-rows.js';
import { perRequest } from '../request-cache.js';
import { answerChangesAt, nowWithHorizon } from '../read-validity.js';

export function riskFromDb(risk: Risk): RiskName {
  return risk.toLowerCase() as RiskName;
}

export function riskToDb(risk: RiskName): Risk {
  return risk.toUpperCase() as Risk;
}

/** Everything about one entity's channels, loaded in one batch for all entities of a request. */
export interface EntityChannels {
  entityId: number;
  defaultTrack: string;
  trackGuardrail: string | null;
  /** Default track first, then by creation. */
  tracks: Array<{ name: string; createdAt: Date }>;
  /** Pointers by revision id. */
  set: ChannelSet<number>;
  /** Channel row ids by full name, for histories. */
  rowIds: Map<string, number>;
  /** Every channel row: what revision scopes are made of. */
  rows: Array<{ id: number; track: string; risk: RiskName }>;
  /** The numbers of the revisions the pointers name, by revision id. */
  revisionNumbers: Map<number, number>;
  /** Each channel's map entries (one per platform), by full channel name. */
  entries: Map<string, MapEntry[]>;
  /** The channels as a client on one platform sees them (per-platform fall-back); built once per platform. */
  platformSet(platform: Platform): ChannelSet<MapEntry>;
  /** Every platform some channel of the track has an entry for, sorted. */
  trackPlatforms(track: string): Platform[];
  /** Progressive releases in progress for clients naming no base, by full channel name. */
  pointerRollouts: Map<string, Rollout<ServedRelease>>;
  /** Whether any channel or map entry has a progressive release in progress. */
  hasRollouts: boolean;
  /** The channels as one instance sees them: each rollout in progress decided for its key (null: no key, outside every rollout). */
  forInstance(instanceKey: string | null, entityUrl: string): InstanceChannels;
}

/** A revision as served, with the release whose pins go with it (null: the channel's newest release). */
export interface ServedRelease {
  revisionId: number;
  releaseId: number | null;
}

/** The channel state as one instance of a charm sees it, progressive releases decided. */
export interface InstanceChannels {
  set: ChannelSet<ServedRelease>;
  platformSet(platform: Platform): ChannelSet<MapEntry>;
}

/** One channel map entry: what a channel serves to one platform. */
export interface MapEntry {
  platform: Platform;
  revisionId: number;
  /**
   * The release that set it, whose pins the platform gets; null for a
   * pointer written without map entries (before channel maps), whose pins
   * are its channel's newest release's.
   */
  releaseId: number | null;
  /** The entry's progressive release in progress, if any. */
  rollout?: Rollout<{ revisionId: number; releaseId: number }> | null;
}

/** A progressive release still in progress: percentage below 100. */
function inProgress(percentage: number | null | undefined): percentage is number {
  return percentage !== null && percentage !== undefined && percentage < MAX_PERCENTAGE;
}

function previousOf(previous: { id: number; revisionId: number | null } | null | undefined) {
  return previous && previous.revisionId !== null ? { revisionId: previous.revisionId, releaseId: previous.id } : null;
}

/** A channel as one caller sees it: what it serves is hidden when it falls back to a channel the caller may not read. */
export interface ChannelView {
  entityId: number;
  /** The Channel row holding its history; null when nothing was ever released to or closed in it. */
  rowId: number | null;
  name: string;
  track: string;
  risk: RiskName;
  branch: string | null;
  revisionId: number | null;
  closed: boolean;
  effectiveRevisionId: number | null;
  follows: string | null;
  expiresAt: Date | null;
  /** The channel map: one entry per platform the track knows, computed when asked. */
  bases: () => ChannelBaseView[];
  /** The progressive release in progress of the channel's own pointer (clients naming no base); null if none. */
  progressive: RolloutView | null;
}

/** A progressive release in progress, for display. */
export interface RolloutView {
  percentage: number;
  revisionId: number;
  /** What the other instances get; null when they fall back. */
  previousRevisionId: number | null;
}

/** What a channel serves to one platform. */
export interface ChannelBaseView {
  /** null: the "any platform" entry of revisions declaring no base (bundles). */
  base: Base | null;
  /** This channel's own entry; null when it has none for the platform (closed, never released there). */
  revisionId: number | null;
  /** The release that set the own entry (its pins); null without one, or for a pointer written before channel maps (then: the channel's newest release). */
  releaseId: number | null;
  /** The Channel row, for the newest release of a pointer written before channel maps. */
  channelRowId: number | null;
  /** What a deploy on this platform gets after falling back per platform; null if nothing (you may read). */
  effectiveRevisionId: number | null;
  /** When the channel has no entry of its own: the channel serving the platform; null if none. */
  follows: string | null;
  /** The entry's progressive release in progress; null if none. */
  progressive: RolloutView | null;
}

export interface TrackView {
  name: string;
  isDefault: boolean;
  createdAt: Date;
  channels: ChannelView[];
}

/** Batches the channel state of the entities of one request: the same statements for one entity or a hundred. */
export function channelStateLoader(ctx: ServiceContext): DataLoader<number, EntityChannels | null> {
  return perRequest(
    ctx,
    'channel-state',
    () =>
      new DataLoader<number, EntityChannels | null>(async (ids) => {
        const now = nowWithHorizon(ctx);
        const lifetimeMs = ctx.settings.branchTtlSeconds * 1000;
        const entities = await entityRowLoader(ctx).loadMany(ids);
        // The clock matters only where an open branch expires: a kept answer must not outlive that moment.
        for (const entity of entities) {
          if (entity instanceof Error || !entity) continue;
          for (const row of entity.channels) {
            if (!row.branch || row.closed || !row.lastReleasedAt) continue;
            const expiresAt = row.lastReleasedAt.getTime() + lifetimeMs;
            if (expiresAt > now.getTime()) answerChangesAt(ctx, new Date(expiresAt));
          }
        }
        return entities.map((entity) => {
          if (entity instanceof Error) throw entity;
          if (!entity) return null;
          const pointers = entity.channels.map((row) => ({
            track: row.track,
            risk: riskFromDb(row.risk),
            branch: row.branch || null,
            revision: row.revisionId,
            closed: row.closed,
            lastReleasedAt: row.lastReleasedAt,
          }));
          const revisionNumbers = new Map<number, number>([
            ...entity.channels.flatMap((row) => (row.revision && row.revisionId !== null ? [[row.revisionId, row.revision.number] as const] : [])),
            ...entity.channels.flatMap((row) => row.bases.map((entry) => [entry.revisionId, entry.revision.number] as const)),
            // What instances outside a rollout get.
            ...entity.channels.flatMap((row) =>
              [row.previousRelease, ...row.bases.map((entry) => entry.previousRelease)].flatMap((previous) =>
                previous && previous.revisionId !== null && previous.revision ? [[previous.revisionId, previous.revision.number] as const] : [],
              ),
            ),
          ]);
          const maps = platformViews(entity.channels, pointers, now, lifetimeMs);
          return {
            entityId: entity.id,
            defaultTrack: entity.defaultTrack,
            trackGuardrail: entity.trackGuardrail,
            tracks: orderTracks(entity.tracks, entity.defaultTrack),
            set: new ChannelSet(pointers, now, lifetimeMs),
            rowIds: new Map(pointers.map((pointer, index) => [formatChannel(pointer), entity.channels[index]!.id])),
            rows: entity.channels.map((row) => ({ id: row.id, track: row.track, risk: riskFromDb(row.risk) })),
            revisionNumbers,
            ...maps,
            ...rolloutViews(entity.channels, pointers, maps.entries, revisionNumbers, now, lifetimeMs),
          };
        });
      }),
  );
}

/** What the channel maps are built from: a channel row with its map entries. */
export type MapRow = Pick<EntityStateRow['channels'][number], 'revisionId' | 'closed'> & {
  bases: Array<{
    name: string;
    baseChannel: string;
    architecture: string;
    revisionId: number;
    releaseId: number;
    release?: { progressivePercentage: number | null };
    previousRelease?: { id: number; revisionId: number | null } | null;
  }>;
};

type Pointers = Array<{ track: string; risk: RiskName; branch: string | null; revision: number | null; closed: boolean; lastReleasedAt: Date | null }>;

/** The per-platform parts of an entity's channel state; `pointers` are the rows as channel pointers, in the same order. */
export function platformViews(
  rows: MapRow[],
  pointers: Pointers,
  now: Date,
  lifetimeMs: number,
): Pick<EntityChannels, 'entries' | 'platformSet' | 'trackPlatforms'> {
  const entries = new Map<string, MapEntry[]>();
  rows.forEach((row, index) => {
    const own: MapEntry[] = row.bases.map((entry) => ({
      platform: { name: entry.name, channel: entry.baseChannel, architecture: entry.architecture },
      revisionId: entry.revisionId,
      releaseId: entry.releaseId,
      rollout: inProgress(entry.release?.progressivePercentage) ? { percentage: entry.release.progressivePercentage, previous: previousOf(entry.previousRelease) } : null,
    }));
    // A pointer written without map entries serves every platform.
    if (own.length === 0 && row.revisionId !== null && !row.closed) own.push({ platform: ANY_PLATFORM, revisionId: row.revisionId, releaseId: null });
    entries.set(formatChannel(pointers[index]!), own);
  });
  const open = new ChannelSet(pointers, now, lifetimeMs);
  return {
    entries,
    platformSet: platformSets(pointers, entries, now, lifetimeMs),
    // Only open channels count: an expired branch keeps its rows until released to again.
    trackPlatforms: (track) =>
      sortPlatforms(
        pointers.flatMap((pointer) =>
          pointer.track === track && open.own(pointer).revision !== null ? (entries.get(formatChannel(pointer)) ?? []).map((entry) => entry.platform) : [],
        ),
      ),
  };
}

/** The channels per platform, each built once when first asked for. */
function platformSets(pointers: Pointers, entries: Map<string, MapEntry[]>, now: Date, lifetimeMs: number): (platform: Platform) => ChannelSet<MapEntry> {
  const sets = new Map<string, ChannelSet<MapEntry>>();
  return (platform) => {
    const key = platformKey(platform);
    let set = sets.get(key);
    if (!set) {
      const perPlatform = pointers.map((pointer) => ({ ...pointer, revision: entryFor(entries.get(formatChannel(pointer)) ?? [], platform) ?? null }));
      sets.set(key, (set = new ChannelSet(perPlatform, now, lifetimeMs)));
    }
    return set;
  };
}

type RolloutRow = MapRow & {
  history: Array<{ action: string; progressivePercentage: number | null }>;
  previousRelease: { id: number; revisionId: number | null } | null;
};

/**
 * The progressive releases in progress, and the channels as one instance
 * sees them: an entry (or a channel's own pointer) being rolled out serves
 * its revision to the instances the rollout reaches and what it replaced to
 * the others; with nothing replaced, the others fall back as from a closed
 * channel.
 */
function rolloutViews(
  rows: RolloutRow[],
  pointers: Pointers,
  entries: Map<string, MapEntry[]>,
  revisionNumbers: Map<number, number>,
  now: Date,
  lifetimeMs: number,
): Pick<EntityChannels, 'pointerRollouts' | 'hasRollouts' | 'forInstance'> {
  const pointerRollouts = new Map<string, Rollout<ServedRelease>>();
  rows.forEach((row, index) => {
    const newest = row.history[0];
    if (!row.closed && row.revisionId !== null && newest?.action === 'RELEASE' && inProgress(newest.progressivePercentage)) {
      pointerRollouts.set(formatChannel(pointers[index]!), { percentage: newest.progressivePercentage, previous: previousOf(row.previousRelease) });
    }
  });
  const hasRollouts = pointerRollouts.size > 0 || [...entries.values()].some((own) => own.some((entry) => entry.rollout));
  return {
    pointerRollouts,
    hasRollouts,
    forInstance: (instanceKey, entityUrl) => {
      const reaches = (revisionId: number, rollout: { percentage: number }) =>
        receivesRollout(instanceKey, entityUrl, revisionNumbers.get(revisionId) ?? revisionId, rollout.percentage);
      const instancePointers = pointers.map((pointer) => {
        const rollout = pointerRollouts.get(formatChannel(pointer));
        if (pointer.revision === null) return { ...pointer, revision: null };
        if (!rollout || reaches(pointer.revision, rollout)) return { ...pointer, revision: { revisionId: pointer.revision, releaseId: null } };
        return { ...pointer, revision: rollout.previous };
      });
      const instanceEntries = new Map(
        [...entries].map(([name, own]) => [
          name,
          own.flatMap((entry) => {
            if (!entry.rollout || reaches(entry.revisionId, entry.rollout)) return [entry];
            const previous = entry.rollout.previous;
            return previous ? [{ platform: entry.platform, revisionId: previous.revisionId, releaseId: previous.releaseId, rollout: null }] : [];
          }),
        ]),
      );
      return { set: new ChannelSet(instancePointers, now, lifetimeMs), platformSet: platformSets(pointers, instanceEntries, now, lifetimeMs) };
    },
  };
}

function rolloutView(revisionId: number | null, rollout: Rollout<{ revisionId: number }> | null | undefined): RolloutView | null {
  if (revisionId === null || !rollout) return null;
  return { percentage: rollout.percentage, revisionId, previousRevisionId: rollout.previous?.revisionId ?? null };
}

export function channelView(access: EntityAccess, state: EntityChannels, status: ChannelStatus<number>): ChannelView {
  const { channel } = status;
  const served = status.servedBy && access.canReadChannel(status.servedBy.track, status.servedBy.risk) ? status.servedBy : null;
  const name = formatChannel(channel);
  return {
    entityId: state.entityId,
    rowId: state.rowIds.get(name) ?? null,
    name,
    track: channel.track,
    risk: channel.risk,
    branch: channel.branch,
    revisionId: status.revision,
    closed: status.closed,
    effectiveRevisionId: served ? status.effectiveRevision : null,
    follows: status.revision === null && served ? formatChannel(served) : null,
    expiresAt: status.expiresAt,
    progressive: rolloutView(status.revision, state.pointerRollouts.get(name)),
    bases: () =>
      state.trackPlatforms(channel.track).map((platform) => {
        const perPlatform = state.platformSet(platform).status(channel);
        const by = perPlatform.servedBy && access.canReadChannel(perPlatform.servedBy.track, perPlatform.servedBy.risk) ? perPlatform.servedBy : null;
        return {
          base: isAnyPlatform(platform) ? null : { name: platform.name, channel: platform.channel, architectures: [platform.architecture] },
          revisionId: perPlatform.revision?.revisionId ?? null,
          releaseId: perPlatform.revision?.releaseId ?? null,
          channelRowId: state.rowIds.get(name) ?? null,
          effectiveRevisionId: by ? (perPlatform.effectiveRevision?.revisionId ?? null) : null,
          follows: perPlatform.revision === null && by ? formatChannel(by) : null,
          progressive: rolloutView(perPlatform.revision?.revisionId ?? null, perPlatform.revision?.rollout),
        };
      }),
  };
}

async function load(ctx: ServiceContext, entityId: number): Promise<{ access: EntityAccess; state: EntityChannels } | null> {
  const [access, state] = await Promise.all([entityAccessLoader(ctx).load(entityId), channelStateLoader(ctx).load(entityId)]);
  return access && state ? { access, state } : null;
}

function readable(access: EntityAccess, channel: ChannelName): boolean {
  return access.canReadChannel(channel.track, channel.risk);
}

/** The entity's tracks, default first, each with the channels the caller may read. */
export async function entityTracks(ctx: ServiceContext, entityId: number): Promise<TrackView[]> {
  const loaded = await load(ctx, entityId);
  if (!loaded) return [];
  const { access, state } = loaded;
  return state.tracks.map((track) => ({
    name: track.name,
    isDefault: track.name === state.defaultTrack,
    createdAt: track.createdAt,
    channels: state.set
      .trackChannels(track.name)
      .filter((status) => readable(access, status.channel))
      .map((status) => channelView(access, state, status)),
  }));
}

/** One channel by a full or partial name; null when malformed, in a track that does not exist, a branch never used, or not readable. */
export async function entityChannel(ctx: ServiceContext, entityId: number, name: string): Promise<ChannelView | null> {
  const loaded = await load(ctx, entityId);
  if (!loaded) return null;
  const { access, state } = loaded;
  let channel: ChannelName;
  try {
    channel = parseChannel(name, state.defaultTrack, 'name');
  } catch (error) {
    if (error instanceof ValidationError) return null;
    throw error;
  }
  if (!state.tracks.some((track) => track.name === channel.track)) return null;
  if (channel.branch && !state.rowIds.has(formatChannel(channel))) return null;
  if (!readable(access, channel)) return null;
  return channelView(access, state, state.set.status(channel));
}

/** Full names of the open channels holding this revision now (as their pointer or for some platform), among those the caller may read. */
export async function revisionChannels(ctx: ServiceContext, entityId: number, revisionId: number): Promise<string[]> {
  const loaded = await load(ctx, entityId);
  if (!loaded) return [];
  const { access, state } = loaded;
  const holds = (status: ChannelStatus<number>) =>
    status.revision === revisionId ||
    (status.revision !== null && (state.entries.get(formatChannel(status.channel)) ?? []).some((entry) => entry.revisionId === revisionId));
  return state.tracks.flatMap((track) =>
    state.set
      .trackChannels(track.name)
      .filter((status) => holds(status) && readable(access, status.channel))
      .map((status) => formatChannel(status.channel)),
  );
}
