import { AuthenticationError, NotFoundError, PermissionDeniedError } from '../../domain/errors.js';
import { recordAudit } from '../audit.js';
import { isScopedToken } from '../authorization/caller.js';
import type { ServiceContext } from '../context.js';
import { requireSignedIn } from './require.js';

/** What revokeToken can answer besides success (its GraphQL union lists each; test/mutation-errors.test.ts checks). */
export const revokeTokenErrors = [AuthenticationError, NotFoundError, PermissionDeniedError] as const;

/**
 * Revokes one of your tokens by id. A scoped token may only revoke itself;
 * managing your other tokens needs a token without limits.
 */
export async function revokeToken(ctx: ServiceContext, input: { id: string }): Promise<{ tokenId: number }> {
  const actor = requireSignedIn(ctx);
  const id = /^\d{1,9}$/.test(input.id) ? Number(input.id) : null;
  const token = id === null ? null : await ctx.prisma.token.findFirst({ where: { id, userId: actor.userId } });
  if (!token) throw new NotFoundError(`You have no token with id "${input.id}"`);
  if (isScopedToken(actor) && token.id !== actor.tokenId) {
    throw new PermissionDeniedError('A scoped token may only revoke itself; use a token without limits (from login) to revoke others');
  }
  const now = ctx.now();
  await ctx.prisma.$transaction(async (tx) => {
    await tx.token.updateMany({ where: { id: token.id, revokedAt: null }, data: { revokedAt: now } });
    await recordAudit(tx, actor, { action: 'revoke-token', target: actor.username, before: { tokenId: token.id, description: token.description } }, now);
  });
  return { tokenId: token.id };
}
