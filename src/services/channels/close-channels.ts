import { formatChannel } from '../../domain/channel.js';
import { platformsToBases } from '../../domain/channel-map.js';
import type { Prisma } from '../../generated/prisma/client.js';
import { PermissionDeniedError, ValidationError } from '../../domain/errors.js';
import { requireSignedIn } from '../accounts/require.js';
import type { ServiceContext } from '../context.js';
import { requireEntity } from '../entities/find-entity.js';
import { ENTITY_COMMAND_ERRORS, runEntityCommand, targetOf } from '../pipeline/entity-command.js';
import { riskToDb } from './channel-state.js';
import { checkChannelCount, writableChannels } from './channel-targets.js';

/** What closeChannels can answer besides success. */
export const closeChannelsErrors = [...ENTITY_COMMAND_ERRORS, ValidationError, PermissionDeniedError] as const;

/**
 * Closes each channel: its pointer and every platform entry of its map are
 * cleared and a close is appended to its history. A closed risk falls back to the next more stable one; a closed
 * branch to its track/risk. All or nothing, under the entity's lock.
 * Returns the entity id.
 */
export async function closeChannels(ctx: ServiceContext, input: { url: string; channels: readonly string[] }): Promise<number> {
  const actor = requireSignedIn(ctx);
  checkChannelCount(input.channels, ctx.settings.maxChannelsPerChange, 'close');
  const { access } = await requireEntity(ctx, input.url);
  return runEntityCommand(ctx, {
    target: targetOf(access, input.url),
    prismaTransaction: true,
    execute: async ({ tx, row, access, now }) => {
      const entityId = row.id;
      const channels = writableChannels(row, access, input.channels, 'close');
      const releaseIds: number[] = [];
      for (const channel of channels) {
        const key = { entityId, track: channel.track, risk: riskToDb(channel.risk), branch: channel.branch ?? '' };
        const pointer = { revisionId: null, closed: true, updatedAt: now };
        const channelRow = await tx.channel.upsert({
          where: { entityId_track_risk_branch: key },
          create: { ...key, ...pointer },
          update: pointer,
          select: { id: true, bases: { select: { name: true, baseChannel: true, architecture: true } } },
        });
        // Closing a channel closes every platform of its map; the history entry says which.
        const closed = channelRow.bases.map((entry) => ({ name: entry.name, channel: entry.baseChannel, architecture: entry.architecture }));
        if (closed.length) await tx.channelBase.deleteMany({ where: { channelId: channelRow.id } });
        const entry = await tx.release.create({
          data: {
            channelId: channelRow.id,
            entityId,
            action: 'CLOSE',
            createdAt: now,
            createdById: actor.userId,
            bases: platformsToBases(closed) as unknown as Prisma.InputJsonValue,
          },
          select: { id: true },
        });
        releaseIds.push(entry.id);
      }
      return {
        result: entityId,
        audit: { action: 'close-channels', target: access.url, after: { closed: channels.map(formatChannel) } },
        event: { kind: 'channels-closed', entityId, releaseIds },
      };
    },
  });
}
