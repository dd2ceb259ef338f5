import { isValidTrackName, trackNameProblem } from '../../domain/channel.js';
import { ConflictError, PermissionDeniedError, ValidationError } from '../../domain/errors.js';
import { requireSignedIn } from '../accounts/require.js';
import type { ServiceContext } from '../context.js';
import { requireEntity } from '../entities/find-entity.js';
import { ENTITY_COMMAND_ERRORS, runEntityCommand, targetOf } from '../pipeline/entity-command.js';

/** What createTrack can answer besides success. */
export const createTrackErrors = [...ENTITY_COMMAND_ERRORS, ValidationError, PermissionDeniedError, ConflictError] as const;

/**
 * Adds a track. Owners and admins may create any valid name; writers may
 * create names matching the admin-set guardrail of the entity. Returns the entity id.
 */
export async function createTrack(ctx: ServiceContext, input: { url: string; name: string }): Promise<number> {
  requireSignedIn(ctx);
  const { access: found } = await requireEntity(ctx, input.url);
  const name = input.name.trim();
  if (!isValidTrackName(name)) throw new ValidationError(trackNameProblem(name), 'name');

  return runEntityCommand(ctx, {
    target: targetOf(found, input.url),
    prismaTransaction: true,
    execute: async ({ tx, row, access, now }) => {
      const entityId = row.id;
      if (!access.canCreateTrack(name, row.trackGuardrail)) {
        const guardrail = row.trackGuardrail
          ? `; writers may create tracks matching ${JSON.stringify(row.trackGuardrail)}, which "${name}" does not or you cannot write to`
          : '';
        throw new PermissionDeniedError(`Only the owner of ${access.url} or an admin may create track "${name}"${guardrail}`);
      }
      const existing = await tx.track.findUnique({ where: { entityId_name: { entityId, name } }, select: { id: true } });
      if (existing) throw new ConflictError(`Track "${name}" already exists on ${access.url}`);
      await tx.track.create({ data: { entityId, name, createdAt: now } });
      return {
        result: entityId,
        audit: { action: 'create-track', target: `${access.url} ${name}`, after: { track: name } },
        event: { kind: 'tracks-changed', entityId },
      };
    },
  });
}
