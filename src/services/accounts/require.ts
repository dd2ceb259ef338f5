import { AuthenticationError, PermissionDeniedError } from '../../domain/errors.js';
import type { Actor, ServiceContext } from '../context.js';

export function requireSignedIn(ctx: ServiceContext): Actor {
  if (!ctx.actor) throw new AuthenticationError('Sign in first: this operation needs a bearer token from the login mutation');
  return ctx.actor;
}

/** Admin rights are read from the database on every call, so a revoked admin loses them at once. */
export async function requireAdmin(ctx: ServiceContext, what: string): Promise<Actor> {
  const actor = requireSignedIn(ctx);
  const user = await ctx.prisma.user.findUnique({ where: { id: actor.userId }, select: { isAdmin: true } });
  if (!user?.isAdmin) throw new PermissionDeniedError(`Only store administrators may ${what}`);
  return actor;
}
