import type { Tx } from '../../db/database.js';
import { EVERYONE } from '../../domain/names.js';
import type { Actor, ServiceContext } from '../context.js';
import { perRequest } from '../request-cache.js';

/** The caller as the ACLs see them: the principals they act as. */
export interface Caller {
  actor: Actor | null;
  /**
   * Store administrator powers in this request: the user is an admin AND the
   * token in use carries no limits. A scoped token (permissions, entities or
   * channels) never carries admin powers, so a CI token leaked from an
   * admin's pipeline cannot manage other people's packages or accounts.
   */
  isAdmin: boolean;
  /** "everyone", plus the username and group names when signed in. */
  principals: string[];
  groupIds: number[];
}

/** A caller with no credentials: only what `everyone` may do. */
export const ANONYMOUS: Caller = Object.freeze({ actor: null, isAdmin: false, principals: [EVERYONE], groupIds: [] });

/** True when the token in use has any limit (permissions, entities or channels). */
export function isScopedToken(actor: Actor): boolean {
  return actor.permissions.length > 0 || actor.entities.length > 0 || actor.channels.length > 0;
}

/**
 * Loads the caller's admin flag and groups from the database, once per
 * request, so a membership or admin change applies to the very next request.
 */
export function getCaller(ctx: ServiceContext): Promise<Caller> {
  return perRequest(ctx, 'caller', async () => {
    const actor = ctx.actor;
    // Authentication read the groups with the token, in this request: no second look-up.
    if (actor?.groups) return callerOf(actor, actor.isAdmin, actor.groups);
    return loadCaller(ctx.prisma, actor);
  });
}

/**
 * Reads the caller's admin flag and groups through `db`: the request's
 * client, or a write's transaction, which reads them again after taking the
 * entity lock so that rights revoked while it waited apply.
 */
export async function loadCaller(db: Tx, actor: Actor | null): Promise<Caller> {
  if (!actor) return ANONYMOUS;
  const user = await db.user.findUnique({
    where: { id: actor.userId },
    select: { isAdmin: true, memberships: { select: { group: { select: { id: true, name: true } } } } },
  });
  return callerOf(actor, user?.isAdmin ?? false, user?.memberships.map((membership) => membership.group) ?? []);
}

export function callerOf(actor: Actor, userIsAdmin: boolean, groups: Array<{ id: number; name: string }>): Caller {
  return {
    actor,
    isAdmin: userIsAdmin && !isScopedToken(actor),
    principals: [EVERYONE, actor.username, ...groups.map((group) => group.name)],
    groupIds: groups.map((group) => group.id),
  };
}
