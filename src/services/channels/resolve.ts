import { type ChannelName, formatChannel, parseChannel } from '../../domain/channel.js';
import { parseEntityUrl } from '../../domain/entity-url.js';
import { NotFoundError, ValidationError } from '../../domain/errors.js';
import { describeChannels, type RefreshAction, refreshAction } from '../../domain/fallback.js';
import { notFound } from '../authorization/entity-access.js';
import type { ServiceContext } from '../context.js';
import { findEntity } from '../entities/find-entity.js';
import { channelStateLoader } from './channel-state.js';

export interface Resolution {
  entityId: number;
  revisionId: number;
  revisionNumber: number;
  /** The full channel that served the revision. */
  channel: string;
  /** The full form of the channel asked for. */
  requestedChannel: string;
  /** ResourceRevision ids pinned by the release that set the serving channel's pointer. */
  resourceRevisionIds: number[];
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
  const access = await findEntity(ctx, url);
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

  const servingRowId = state.rowIds.get(formatChannel(served))!;
  // The pointer always equals the newest history entry, so that entry holds the pinned resources.
  const [revision, newest] = await Promise.all([
    ctx.prisma.revision.findUniqueOrThrow({ where: { id: status.effectiveRevision }, select: { number: true } }),
    ctx.prisma.release.findFirstOrThrow({
      where: { channelId: servingRowId },
      orderBy: { id: 'desc' },
      select: { resources: { select: { resourceRevisionId: true } } },
    }),
  ]);
  return {
    entityId: access.entity.id,
    revisionId: status.effectiveRevision,
    revisionNumber: revision.number,
    channel: formatChannel(served),
    requestedChannel: requestedName,
    resourceRevisionIds: newest.resources.map((resource) => resource.resourceRevisionId),
    action: refreshAction(input.currentRevision, revision.number),
  };
}
