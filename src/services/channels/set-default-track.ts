import { NotFoundError, PermissionDeniedError } from '../../domain/errors.js';
import { requireSignedIn } from '../accounts/require.js';
import type { ServiceContext } from '../context.js';
import { requireEntity } from '../entities/find-entity.js';
import { ENTITY_COMMAND_ERRORS, runEntityCommand, targetOf } from '../pipeline/entity-command.js';

/** What setDefaultTrack can answer besides success. */
export const setDefaultTrackErrors = [...ENTITY_COMMAND_ERRORS, PermissionDeniedError, NotFoundError] as const;

/** Makes an existing track the one that channels without a track (and `resolve` without a channel) mean. Returns the entity id. */
export async function setDefaultTrack(ctx: ServiceContext, input: { url: string; track: string }): Promise<number> {
  requireSignedIn(ctx);
  const { access: found } = await requireEntity(ctx, input.url);
  return runEntityCommand(ctx, {
    target: targetOf(found, input.url),
    prismaTransaction: true,
    execute: async ({ tx, row, access, now }) => {
      if (!access.canManage('package-manage-metadata')) {
        throw new PermissionDeniedError(`Only the owner of ${access.url} or an admin may set its default track`);
      }
      const entityId = row.id;
      const tracks = await tx.track.findMany({ where: { entityId }, select: { name: true }, orderBy: { createdAt: 'asc' } });
      if (!tracks.some((track) => track.name === input.track)) {
        throw new NotFoundError(
          `Track "${input.track}" does not exist on ${access.url} (its tracks: ${tracks.map((track) => track.name).join(', ')}): create it first with createTrack`,
        );
      }
      await tx.entity.update({ where: { id: entityId }, data: { defaultTrack: input.track, updatedAt: now } });
      return {
        result: entityId,
        audit: { action: 'set-default-track', target: access.url, before: { defaultTrack: row.defaultTrack }, after: { defaultTrack: input.track } },
        event: { kind: 'tracks-changed', entityId },
      };
    },
  });
}
