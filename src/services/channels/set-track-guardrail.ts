import { PermissionDeniedError, ValidationError } from '../../domain/errors.js';
import { requireSignedIn } from '../accounts/require.js';
import { recordAudit } from '../audit.js';
import type { ServiceContext } from '../context.js';
import { requireEntity } from '../entities/find-entity.js';
import { lockEntity } from './channel-targets.js';

const MAX_PATTERN_LENGTH = 200;

/**
 * Admin only: sets (or with null clears) the entity's track guardrail, a
 * regular expression matched against whole track names; writers may then
 * create matching tracks themselves. Returns the entity id.
 */
export async function setTrackGuardrail(ctx: ServiceContext, input: { url: string; pattern?: string | null }): Promise<number> {
  const actor = requireSignedIn(ctx);
  const { access } = await requireEntity(ctx, input.url);
  if (!access.canSetTrackGuardrail()) throw new PermissionDeniedError('Only store administrators may set a track guardrail');
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
  const entityId = access.entity.id;
  const now = ctx.now();
  await ctx.prisma.$transaction(async (tx) => {
    const locked = await lockEntity(tx, entityId);
    await tx.entity.update({ where: { id: entityId }, data: { trackGuardrail: pattern, updatedAt: now } });
    await recordAudit(
      tx,
      actor,
      { action: 'set-track-guardrail', entityId, target: access.url, before: { trackGuardrail: locked.trackGuardrail }, after: { trackGuardrail: pattern } },
      now,
    );
  });
  return entityId;
}
