import DataLoader from 'dataloader';
import { perRequest } from '../request-cache.js';
import { type ChannelName, formatChannel, parseChannel } from '../../domain/channel.js';
import { type Base, seriesArchitectures, seriesBase, supportsSeries } from '../../domain/bases.js';
import { BUNDLE_SERIES, parseEntityUrl } from '../../domain/entity-url.js';
import { NotFoundError, ValidationError } from '../../domain/errors.js';
import { type ChannelStatus, describeChannels, type RefreshAction, refreshAction } from '../../domain/fallback.js';
import { notFound } from '../authorization/entity-access.js';
import type { ServiceContext } from '../context.js';
import { findEntityForRead } from '../entities/find-entity.js';
import type { Platform } from '../../domain/channel-map.js';
import { checkInstanceKey } from '../../domain/progressive.js';
import { channelStateLoader, type EntityChannels, type InstanceChannels, type MapEntry, type ServedRelease } from './channel-state.js';
import { parsePlatform, type PlatformInput } from './platform-input.js';

export interface Resolution {
  entityId: number;
  revisionId: number;
  revisionNumber: number;
  /** The full channel that served the revision. */
  channel: string;
  /** The full form of the channel asked for. */
  requestedChannel: string;
  /**
   * Where the revision and its resource pins are read from: the serving
   * Channel row (its pointer is the revision, and its newest release, which
   * set the pointer, pins the resources), or for a platform the release that
   * set the serving map entry.
   */
  serving: { channelId: number } | { releaseId: number };
  /** The platform served: the base asked for, or the one a url's series segment stands for; null for neither. */
  platform: Platform | null;
  action: RefreshAction;
}

/**
 * What a deploy or refresh from a channel gets: the revision, the channel
 * that served it after fall-back, the resource revisions released with it,
 * and whether moving from `currentRevision` to it is an upgrade or a
 * downgrade. A url with a revision is refused: resolve answers what a
 * channel serves, and `currentRevision` is how to compare with a revision.
 * A url's series segment picks the platform when no base is given (see
 * servingStatus), and a base for another OS release than the series is
 * refused.
 */
export async function resolveChannel(
  ctx: ServiceContext,
  input: { url: string; channel?: string | null; currentRevision?: number | null; base?: PlatformInput | null; instanceKey?: string | null },
): Promise<Resolution> {
  const url = parseEntityUrl(input.url);
  // Checked before any read: bad input is refused the same whatever the entity.
  const platform = input.base ? parsePlatform(input.base, 'base') : null;
  const instanceKey = input.instanceKey === null || input.instanceKey === undefined ? null : checkInstanceKey(input.instanceKey, 'instanceKey');
  const series = url.series !== undefined && url.series !== BUNDLE_SERIES ? url.series : undefined;
  const forSeries = series === undefined ? undefined : seriesBase(series);
  if (platform && forSeries && (platform.name !== forSeries.name || platform.channel !== forSeries.channel)) {
    throw new ValidationError(
      `"${input.url}" names series "${series}" (${forSeries.name} ${forSeries.channel}) but base names ${platform.name} ${platform.channel}: give one platform, by dropping the series from the url or by giving the base of that series`,
      'base',
    );
  }
  if (url.revision !== undefined) {
    throw new ValidationError(
      `"${input.url}" names revision ${url.revision}, but resolve answers what a channel serves: drop "-${url.revision}" from the url, and pass currentRevision: ${url.revision} to compare with it`,
      'url',
    );
  }
  const access = await findEntityForRead(ctx, url);
  if (!access) throw notFound(input.url);
  const state = await channelStateLoader(ctx).load(access.entity.id);
  if (!state) throw notFound(input.url);

  const requested: ChannelName = input.channel
    ? parseChannel(input.channel, state.defaultTrack)
    : { track: state.defaultTrack, risk: 'stable', branch: null };
  const requestedName = formatChannel(requested);
  if (!state.tracks.some((track) => track.name === requested.track)) {
    throw new NotFoundError(
      `${access.url} has no track "${requested.track}": its tracks are ${state.tracks.map((track) => track.name).join(', ')}`,
    );
  }
  // Progressive releases in progress are decided for this instance (without a key: outside every rollout).
  const channels = state.hasRollouts ? state.forInstance(instanceKey, access.url) : state;
  // Reading the requested channel, and the one it falls back to, are both needed to learn what it serves.
  const mayRead = (channel: ChannelName) => access.canReadChannel(channel.track, channel.risk);
  const serves = (candidate: ChannelStatus<unknown>) => candidate.servedBy !== null && candidate.effectiveRevision !== null && mayRead(requested) && mayRead(candidate.servedBy);
  const { status, served: servedPlatform } = servingStatus(state, channels, requested, { platform, series: forSeries }, serves);
  const served = status.servedBy;
  if (!served || status.effectiveRevision === null || !serves(status)) {
    const forPlatform = platform
      ? ` for ${platform.name} ${platform.channel} (${platform.architecture})`
      : forSeries
        ? ` for series "${series}" (${forSeries.name} ${forSeries.channel})`
        : '';
    throw new NotFoundError(
      `Nothing you may deploy${forPlatform} is released in ${requestedName} of ${access.url}: tried ${describeChannels(status.tried)} (closed, expired${platform || forSeries ? ', never released or without that platform' : ' or never released'})`,
    );
  }
  const effective = status.effectiveRevision;
  const revisionId = typeof effective === 'number' ? effective : effective.revisionId;
  const servingChannelId = state.rowIds.get(formatChannel(served))!;
  const serving = typeof effective !== 'number' && effective.releaseId !== null ? { releaseId: effective.releaseId } : { channelId: servingChannelId };

  const revisionNumber = state.revisionNumbers.get(revisionId)!;
  // The contract: a url's series segment must be one of the revision's
  // series. The platform chosen for it can still be held by a revision for
  // every platform (a bundle-like entry, or a channel released to before
  // channel maps), so the revision itself is checked. Only such urls cost
  // the extra statement.
  if (series !== undefined) {
    const revision = await revisionSupportLoader(ctx).load(revisionId);
    const bases = revision.bases as unknown as Base[];
    if (!supportsSeries({ series: revision.series, bases }, series)) {
      throw new NotFoundError(
        `${formatChannel(served)} of ${access.url} serves revision ${revisionNumber}, which does not run on series "${series}" (it declares ${describeSupport(revision.series, bases)}); drop the series from the url to get it anyway`,
      );
    }
  }
  return {
    entityId: access.entity.id,
    revisionId,
    revisionNumber,
    channel: formatChannel(served),
    requestedChannel: requestedName,
    serving,
    platform: servedPlatform,
    action: refreshAction(input.currentRevision, revisionNumber),
  };
}

/**
 * Which channel status answers: with a base, that platform's (falling back
 * per platform); without one, the channel's own pointer (its newest
 * release), as before channel maps; and for a url whose series segment
 * stands for a base (`jammy` = ubuntu 22.04), that base's platform, so a
 * channel holding revisions for several OS releases serves the one for the
 * series, never one for another series. A series names no architecture:
 * the default architecture is tried first (as Juju deploys), then each
 * other architecture the track holds for that base, and the first that
 * serves something answers.
 */
function servingStatus(
  state: EntityChannels,
  channels: EntityChannels | InstanceChannels,
  requested: ChannelName,
  asked: { platform: Platform | null; series: { name: string; channel: string } | undefined },
  serves: (status: ChannelStatus<unknown>) => boolean,
): { status: ChannelStatus<number | ServedRelease | MapEntry>; served: Platform | null } {
  if (asked.platform) return { status: channels.platformSet(asked.platform).status(requested), served: asked.platform };
  const base = asked.series;
  if (!base) return { status: channels.set.status(requested), served: null };
  const held = state.trackPlatforms(requested.track).filter((platform) => platform.name === base.name && platform.channel === base.channel);
  let first: { status: ChannelStatus<MapEntry>; served: Platform } | undefined;
  for (const architecture of seriesArchitectures(held.map((platform) => platform.architecture))) {
    const platform = { ...base, architecture };
    const status = channels.platformSet(platform).status(requested);
    if (serves(status)) return { status, served: platform };
    first ??= { status, served: platform };
  }
  return first!;
}

/** The series and bases of revisions by id, batched: the series urls of one refresh cost one statement. */
function revisionSupportLoader(ctx: ServiceContext) {
  return perRequest(
    ctx,
    'revision-support',
    () =>
      new DataLoader(async (ids: readonly number[]) => {
        const rows = await ctx.prisma.revision.findMany({ where: { id: { in: [...ids] } }, select: { id: true, series: true, bases: true } });
        return ids.map((id) => rows.find((row) => row.id === id) ?? new Error(`revision ${id} vanished`));
      }),
  );
}

function describeSupport(series: string[], bases: Base[]): string {
  const named = [...series, ...bases.map((base) => `${base.name}@${base.channel}`)];
  return named.length ? named.join(', ') : 'neither series nor bases';
}
