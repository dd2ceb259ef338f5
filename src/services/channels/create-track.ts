import { Prisma } from '../../generated/prisma/client.js';
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
    execute: async ({ sql, row, access, now }) => {
      const entityId = row.id;
      if (!access.canCreateTrack(name, row.trackGuardrail)) {
        const guardrail = row.trackGuardrail
          ? `; writers may create tracks matching ${JSON.stringify(row.trackGuardrail)}, which "${name}" does not or you cannot write to`
          : '';
        throw new PermissionDeniedError(`Only the owner of ${access.url} or an admin may create track "${name}"${guardrail}`);
      }
      // The tracks came with the lock.
      if (row.tracks.includes(name)) throw new ConflictError(`Track "${name}" already exists on ${access.url}`);
      await sql.query(Prisma.sql`INSERT INTO "Track" ("entityId", "name", "createdAt") VALUES (${entityId}::int, ${name}, ${now})`);
      return {
        result: entityId,
        audit: { action: 'create-track', target: `${access.url} ${name}`, after: { track: name } },
        event: { kind: 'tracks-changed', entityId },
      };
    },
  });
}
