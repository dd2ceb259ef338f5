import { AuthenticationError, PermissionDeniedError } from '../../domain/errors.js';
import { recordAudit } from '../audit.js';
import { isScopedToken } from '../authorization/caller.js';
import type { ServiceContext } from '../context.js';
import { requireSignedIn } from './require.js';

/** What logout can answer besides success (its GraphQL union lists each; test/mutation-errors.test.ts checks). */
export const logoutErrors = [AuthenticationError, PermissionDeniedError] as const;

/** Revokes the token in use, or with `all` every live token of the user. Returns how many were revoked. */
export async function logout(ctx: ServiceContext, input: { all: boolean }): Promise<number> {
  const actor = requireSignedIn(ctx);
  // A scoped token (say, a CI credential) may end itself but not its user's other sessions.
  if (input.all && isScopedToken(actor)) {
    throw new PermissionDeniedError('A scoped token can only log itself out; use an unscoped token (from login) for all: true');
  }
  const now = ctx.now();
  return ctx.prisma.$transaction(async (tx) => {
    const { count } = await tx.token.updateMany({
      where: input.all ? { userId: actor.userId, revokedAt: null } : { id: actor.tokenId, revokedAt: null },
      data: { revokedAt: now },
    });
    await recordAudit(tx, actor, { action: input.all ? 'logout-all' : 'logout', target: actor.username, after: { revoked: count } }, now);
    return count;
  });
}
