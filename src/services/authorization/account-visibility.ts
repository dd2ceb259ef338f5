import type { Caller } from './caller.js';

/**
 * What callers may know about accounts. Usernames and display names are
 * public (they are the `~owner` namespaces anyway); an account's admin flag
 * and group memberships are known to the user themselves and to admins, and
 * a group's members to the group's own members and admins. Ids are
 * sequential, so anything more would let anybody list every administrator
 * and every group's members by walking `node(id:)`.
 */
export function maySeeUserDetails(caller: Caller, userId: number): boolean {
  return caller.isAdmin || caller.actor?.userId === userId;
}

export function maySeeGroupMembers(caller: Caller, groupId: number): boolean {
  return caller.isAdmin || caller.groupIds.includes(groupId);
}

/**
 * The groups of `userId` the caller may see: all of them for the user and
 * admins, otherwise those the caller is a member of too (whose members they
 * may see anyway). Returns null for "all".
 */
export function visibleMembershipGroupIds(caller: Caller, userId: number): readonly number[] | null {
  return maySeeUserDetails(caller, userId) ? null : caller.groupIds;
}
