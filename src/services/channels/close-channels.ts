import { formatChannel } from '../../domain/channel.js';
import { requireSignedIn } from '../accounts/require.js';
import { recordAudit } from '../audit.js';
import type { ServiceContext } from '../context.js';
import { requireEntity } from '../entities/find-entity.js';
import { riskToDb } from './channel-state.js';
import { lockEntity, writableChannels } from './channel-targets.js';

/**
 * Closes each channel: its pointer is cleared and a close is appended to its
 * history. A closed risk falls back to the next more stable one; a closed
 * branch to its track/risk. All or nothing, under the entity's lock.
 * Returns the entity id.
 */
export async function closeChannels(ctx: ServiceContext, input: { url: string; channels: readonly string[] }): Promise<number> {
  const actor = requireSignedIn(ctx);
  const { access } = await requireEntity(ctx, input.url);
  const entityId = access.entity.id;
  const now = ctx.now();

  await ctx.prisma.$transaction(async (tx) => {
    const locked = await lockEntity(tx, entityId);
    const channels = await writableChannels(tx, access, locked, input.channels, 'close');
    for (const channel of channels) {
      const key = { entityId, track: channel.track, risk: riskToDb(channel.risk), branch: channel.branch ?? '' };
      const pointer = { revisionId: null, closed: true, updatedAt: now };
      const row = await tx.channel.upsert({
        where: { entityId_track_risk_branch: key },
        create: { ...key, ...pointer },
        update: pointer,
        select: { id: true },
      });
      await tx.release.create({ data: { channelId: row.id, entityId, action: 'CLOSE', createdAt: now, createdById: actor.userId } });
    }
    await recordAudit(tx, actor, { action: 'close-channels', entityId, target: access.url, after: { closed: channels.map(formatChannel) } }, now);
  });
  return entityId;
}
