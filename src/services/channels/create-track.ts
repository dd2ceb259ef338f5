import { isValidTrackName, trackNameProblem } from '../../domain/channel.js';
import { ConflictError, PermissionDeniedError, ValidationError } from '../../domain/errors.js';
import { requireSignedIn } from '../accounts/require.js';
import { recordAudit } from '../audit.js';
import type { ServiceContext } from '../context.js';
import { requireEntity } from '../entities/find-entity.js';
import { lockEntity } from './channel-targets.js';

/**
 * Adds a track. Owners and admins may create any valid name; writers may
 * create names matching the admin-set guardrail of the entity. Returns the entity id.
 */
export async function createTrack(ctx: ServiceContext, input: { url: string; name: string }): Promise<number> {
  const actor = requireSignedIn(ctx);
  const { access } = await requireEntity(ctx, input.url);
  const entityId = access.entity.id;
  const name = input.name.trim();
  if (!isValidTrackName(name)) throw new ValidationError(trackNameProblem(name), 'name');
  const now = ctx.now();

  await ctx.prisma.$transaction(async (tx) => {
    const locked = await lockEntity(tx, entityId);
    if (!access.canCreateTrack(name, locked.trackGuardrail)) {
      const guardrail = locked.trackGuardrail
        ? `; writers may create tracks matching ${JSON.stringify(locked.trackGuardrail)}, which "${name}" does not or you cannot write to`
        : '';
      throw new PermissionDeniedError(`Only the owner of ${access.url} or an admin may create track "${name}"${guardrail}`);
    }
    const existing = await tx.track.findUnique({ where: { entityId_name: { entityId, name } }, select: { id: true } });
    if (existing) throw new ConflictError(`Track "${name}" already exists on ${access.url}`);
    await tx.track.create({ data: { entityId, name, createdAt: now } });
    await recordAudit(tx, actor, { action: 'create-track', entityId, target: `${access.url} ${name}`, after: { track: name } }, now);
  });
  return entityId;
}
