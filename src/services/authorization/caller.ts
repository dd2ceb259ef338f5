import { EVERYONE } from '../../domain/names.js';
import type { Actor, ServiceContext } from '../context.js';
import { perRequest } from '../request-cache.js';

/** The caller as the ACLs see them: the principals they act as. */
export interface Caller {
  actor: Actor | null;
  isAdmin: boolean;
  /** "everyone", plus the username and group names when signed in. */
  principals: string[];
  groupIds: number[];
}

/** Loads the caller's admin flag and groups from the database, once per request. */
export function getCaller(ctx: ServiceContext): Promise<Caller> {
  return perRequest(ctx, 'caller', async () => {
    const actor = ctx.actor;
    if (!actor) return { actor: null, isAdmin: false, principals: [EVERYONE], groupIds: [] };
    const user = await ctx.prisma.user.findUnique({
      where: { id: actor.userId },
      select: { isAdmin: true, memberships: { select: { group: { select: { id: true, name: true } } } } },
    });
    const groups = user?.memberships.map((membership) => membership.group) ?? [];
    return {
      actor,
      isAdmin: user?.isAdmin ?? false,
      principals: [EVERYONE, actor.username, ...groups.map((group) => group.name)],
      groupIds: groups.map((group) => group.id),
    };
  });
}
