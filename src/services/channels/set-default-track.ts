import { NotFoundError, PermissionDeniedError } from '../../domain/errors.js';
import { requireSignedIn } from '../accounts/require.js';
import { recordAudit } from '../audit.js';
import type { ServiceContext } from '../context.js';
import { requireEntity } from '../entities/find-entity.js';
import { lockEntity } from './channel-targets.js';

/** Makes an existing track the one that channels without a track (and `resolve` without a channel) mean. Returns the entity id. */
export async function setDefaultTrack(ctx: ServiceContext, input: { url: string; track: string }): Promise<number> {
  const actor = requireSignedIn(ctx);
  const { access } = await requireEntity(ctx, input.url);
  if (!access.canManage('package-manage-metadata')) {
    throw new PermissionDeniedError(`Only the owner of ${access.url} or an admin may set its default track`);
  }
  const entityId = access.entity.id;
  const now = ctx.now();
  await ctx.prisma.$transaction(async (tx) => {
    const locked = await lockEntity(tx, entityId);
    const tracks = await tx.track.findMany({ where: { entityId }, select: { name: true }, orderBy: { createdAt: 'asc' } });
    if (!tracks.some((track) => track.name === input.track)) {
      throw new NotFoundError(
        `Track "${input.track}" does not exist on ${access.url} (its tracks: ${tracks.map((track) => track.name).join(', ')}): create it first with createTrack`,
      );
    }
    await tx.entity.update({ where: { id: entityId }, data: { defaultTrack: input.track, updatedAt: now } });
    await recordAudit(
      tx,
      actor,
      { action: 'set-default-track', entityId, target: access.url, before: { defaultTrack: locked.defaultTrack }, after: { defaultTrack: input.track } },
      now,
    );
  });
  return entityId;
}
