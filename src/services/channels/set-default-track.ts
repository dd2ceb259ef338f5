import { Prisma } from '../../generated/prisma/client.js';
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
    execute: async ({ sql, row, access, now }) => {
      if (!access.canManage('package-manage-metadata')) {
        throw new PermissionDeniedError(`Only the owner of ${access.url} or an admin may set its default track`);
      }
      const entityId = row.id;
      // The tracks, oldest first, came with the lock.
      if (!row.tracks.includes(input.track)) {
        throw new NotFoundError(`Track "${input.track}" does not exist on ${access.url} (its tracks: ${row.tracks.join(', ')}): create it first with createTrack`);
      }
      await sql.query(Prisma.sql`UPDATE "Entity" SET "defaultTrack" = ${input.track}, "updatedAt" = ${now} WHERE "id" = ${entityId}::int`);
      return {
        result: entityId,
        audit: { action: 'set-default-track', target: access.url, before: { defaultTrack: row.defaultTrack }, after: { defaultTrack: input.track } },
        event: { kind: 'tracks-changed', entityId },
      };
    },
  });
}
