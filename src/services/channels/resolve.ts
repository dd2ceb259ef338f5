import { type ChannelName, formatChannel, parseChannel } from '../../domain/channel.js';
import { type Base, supportsSeries } from '../../domain/bases.js';
import { BUNDLE_SERIES, parseEntityUrl } from '../../domain/entity-url.js';
import { NotFoundError, ValidationError } from '../../domain/errors.js';
import { describeChannels, type RefreshAction, refreshAction } from '../../domain/fallback.js';
import { notFound } from '../authorization/entity-access.js';
import type { ServiceContext } from '../context.js';
import { findEntityForRead } from '../entities/find-entity.js';
import { channelStateLoader } from './channel-state.js';

export interface Resolution {
  entityId: number;
  revisionId: number;
  revisionNumber: number;
  /** The full channel that served the revision. */
  channel: string;
  /** The full form of the channel asked for. */
  requestedChannel: string;
  /**
   * The Channel row that served it: its pointer is the revision, and its
   * newest release (which set the pointer) pins the resource revisions.
   */
  servingChannelId: number;
  action: RefreshAction;
}

/**
 * What a deploy or refresh from a channel gets: the revision, the channel
 * that served it after fall-back, the resource revisions released with it,
 * and whether moving from `currentRevision` to it is an upgrade or a
 * downgrade. A url with a revision is refused: resolve answers what a
 * channel serves, and `currentRevision` is how to compare with a revision.
 */
export async function resolveChannel(
  ctx: ServiceContext,
  input: { url: string; channel?: string | null; currentRevision?: number | null },
): Promise<Resolution> {
  const url = parseEntityUrl(input.url);
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
  const status = state.set.status(requested);
  const served = status.servedBy;
  // Reading the requested channel, and the one it falls back to, are both needed to learn what it serves.
  const mayRead = (channel: ChannelName) => access.canReadChannel(channel.track, channel.risk);
  if (!served || status.effectiveRevision === null || !mayRead(requested) || !mayRead(served)) {
    throw new NotFoundError(
      `Nothing you may deploy is released in ${requestedName} of ${access.url}: tried ${describeChannels(status.tried)} (closed, expired or never released)`,
    );
  }

  const revisionNumber = state.revisionNumbers.get(status.effectiveRevision)!;
  // The contract: a url's series segment must be one of the revision's
  // series. Only such urls cost the extra statement.
  if (url.series !== undefined && url.series !== BUNDLE_SERIES) {
    const revision = await ctx.prisma.revision.findUniqueOrThrow({ where: { id: status.effectiveRevision }, select: { series: true, bases: true } });
    const bases = revision.bases as unknown as Base[];
    if (!supportsSeries({ series: revision.series, bases }, url.series)) {
      throw new NotFoundError(
        `${formatChannel(served)} of ${access.url} serves revision ${revisionNumber}, which does not run on series "${url.series}" (it declares ${describeSupport(revision.series, bases)}); drop the series from the url to get it anyway`,
      );
    }
  }
  return {
    entityId: access.entity.id,
    revisionId: status.effectiveRevision,
    revisionNumber,
    channel: formatChannel(served),
    requestedChannel: requestedName,
    servingChannelId: state.rowIds.get(formatChannel(served))!,
    action: refreshAction(input.currentRevision, revisionNumber),
  };
}

function describeSupport(series: string[], bases: Base[]): string {
  const named = [...series, ...bases.map((base) => `${base.name}@${base.channel}`)];
  return named.length ? named.join(', ') : 'neither series nor bases';
}
