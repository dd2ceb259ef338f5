import { Prisma } from '../../generated/prisma/client.js';
import { PermissionDeniedError, ValidationError } from '../../domain/errors.js';
import { requireSignedIn } from '../accounts/require.js';
import type { ServiceContext } from '../context.js';
import { requireEntity } from '../entities/find-entity.js';
import { ENTITY_COMMAND_ERRORS, runEntityCommand, targetOf } from '../pipeline/entity-command.js';

const MAX_PATTERN_LENGTH = 200;

/** What setTrackGuardrail can answer besides success. */
export const setTrackGuardrailErrors = [...ENTITY_COMMAND_ERRORS, PermissionDeniedError, ValidationError] as const;

/**
 * Admin only: sets (or with null clears) the entity's track guardrail, a
 * regular expression matched against whole track names; writers may then
 * create matching tracks themselves. Returns the entity id.
 */
export async function setTrackGuardrail(ctx: ServiceContext, input: { url: string; pattern?: string | null }): Promise<number> {
  requireSignedIn(ctx);
  const { access: found } = await requireEntity(ctx, input.url);
  // Refused before the pattern is looked at: only admins learn what is wrong with one.
  if (!found.canSetTrackGuardrail()) throw new PermissionDeniedError('Only store administrators may set a track guardrail');
  const pattern = input.pattern === undefined || input.pattern === null || input.pattern === '' ? null : input.pattern;
  if (pattern !== null) {
    if (pattern.length > MAX_PATTERN_LENGTH) {
      throw new ValidationError(`A guardrail pattern has at most ${MAX_PATTERN_LENGTH} characters`, 'pattern');
    }
    try {
      new RegExp(pattern);
    } catch (error) {
      throw new ValidationError(`${JSON.stringify(pattern)} is not a valid regular expression (${(error as Error).message}), e.g. "\\d+\\.\\d+"`, 'pattern');
    }
  }
  return runEntityCommand(ctx, {
    target: targetOf(found, input.url),
    execute: async ({ sql, row, access, now }) => {
      if (!access.canSetTrackGuardrail()) throw new PermissionDeniedError('Only store administrators may set a track guardrail');
      await sql.query(Prisma.sql`UPDATE "Entity" SET "trackGuardrail" = ${pattern}, "updatedAt" = ${now} WHERE "id" = ${row.id}::int`);
      return {
        result: row.id,
        audit: { action: 'set-track-guardrail', target: access.url, before: { trackGuardrail: row.trackGuardrail }, after: { trackGuardrail: pattern } },
        event: { kind: 'tracks-changed', entityId: row.id },
      };
    },
  });
}
