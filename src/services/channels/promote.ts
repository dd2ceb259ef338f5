import { type ChannelName, formatChannel, parseChannel, riskLike } from '../../domain/channel.js';
import { NotFoundError, PermissionDeniedError, ValidationError } from '../../domain/errors.js';
import { ChannelSet, describeChannels } from '../../domain/fallback.js';
import type { Release as ReleaseRow } from '../../generated/prisma/client.js';
import { requireSignedIn } from '../accounts/require.js';
import type { ServiceContext } from '../context.js';
import { requireEntity } from '../entities/find-entity.js';
import { ENTITY_COMMAND_ERRORS, runEntityCommand, targetOf } from '../pipeline/entity-command.js';
import { riskFromDb } from './channel-state.js';
import { checkChannelCount, writableChannels } from './channel-targets.js';
import { appendReleases } from './release.js';

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
 * Releases what `from` serves now (after fall-back, as a deploy from it
 * would get it), with the resource revisions pinned by that release, to
 * every `to` channel: one transaction under the entity's lock, so what is
 * read is what is written, and the new entries are ordinary releases in
 * the targets' histories (`charmcraft promote`, `snapcraft promote`).
 */
export async function promote(ctx: ServiceContext, input: PromoteInput): Promise<Promotion> {
  const actor = requireSignedIn(ctx);
  checkChannelCount(input.to, ctx.settings.maxChannelsPerChange, 'release to');
  const { access: found } = await requireEntity(ctx, input.url);

  return runEntityCommand(ctx, {
    target: targetOf(found, input.url),
    execute: async ({ tx, row, access, now }) => {
      const entityId = row.id;
      const from = parseChannel(input.from, row.defaultTrack, 'from');
      const targets = await writableChannels(tx, access, row.defaultTrack, input.to, 'release to');
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
        select: { id: true, track: true, risk: true, branch: true, revisionId: true, closed: true, lastReleasedAt: true },
      });
      const pointers = rows.map((channel) => ({ ...channel, risk: riskFromDb(channel.risk), branch: channel.branch || null, revision: channel.revisionId }));
      const status = new ChannelSet(pointers, now, ctx.settings.branchTtlSeconds * 1000).status(from);
      const served: ChannelName | null = status.servedBy;
      if (!served || status.effectiveRevision === null || !access.canReadChannel(served.track, served.risk)) {
        throw new NotFoundError(
          `Nothing is released in ${formatChannel(from)} of ${access.url} to promote: tried ${describeChannels(status.tried)} (closed, expired or never released)`,
        );
      }
      const servingRow = rows.find((channel) => formatChannel({ ...channel, risk: riskFromDb(channel.risk), branch: channel.branch || null }) === formatChannel(served))!;
      // The pointer always equals the newest history entry, so that entry holds the pinned resources.
      const newest = await tx.release.findFirstOrThrow({
        where: { channelId: servingRow.id },
        orderBy: { id: 'desc' },
        select: {
          revision: { select: { number: true } },
          resources: { select: { resourceRevisionId: true, resourceRevision: { select: { revision: true, resource: { select: { name: true } } } } } },
        },
      });

      const releases = await appendReleases(tx, {
        entityId,
        channels: targets,
        revisionId: status.effectiveRevision,
        resourceRevisionIds: newest.resources.map((pin) => pin.resourceRevisionId),
        now,
        actorId: actor.userId,
      });
      const what = `${access.url}-${newest.revision!.number}`;
      return {
        result: { from: formatChannel(served), releases },
        audit: {
          action: 'promote',
          target: what,
          after: {
            from: formatChannel(served),
            channels: targets.map(formatChannel),
            resources: newest.resources.map((pin) => ({ name: pin.resourceRevision.resource.name, revision: pin.resourceRevision.revision })),
          },
        },
        event: { kind: 'channels-released', entityId, releaseIds: releases.map((entry) => entry.id) },
      };
    },
  });
}
