import { AuthenticationError, PermissionDeniedError } from '../../domain/errors.js';
import { getCaller } from '../authorization/caller.js';
import type { Actor, ServiceContext } from '../context.js';

export function requireSignedIn(ctx: ServiceContext): Actor {
  if (!ctx.actor) throw new AuthenticationError('Sign in first: this operation needs a bearer token from the login mutation');
  return ctx.actor;
}

/**
 * Admin rights are read from the database on every request (a revoked admin
 * loses them at once), and only an unscoped token carries them (see Caller.isAdmin).
 */
export async function requireAdmin(ctx: ServiceContext, what: string): Promise<Actor> {
  const actor = requireSignedIn(ctx);
  const caller = await getCaller(ctx);
  if (!caller.isAdmin) {
    const scoped = actor.isAdmin ? ', and only with a token without limits (from login, or createToken with none)' : '';
    throw new PermissionDeniedError(`Only store administrators may ${what}${scoped}`);
  }
  return actor;
}
