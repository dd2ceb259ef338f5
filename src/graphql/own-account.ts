/**
 * Marks a user or group row as reached through `Viewer` (your own account,
 * or a group you belong to). Such rows show their private details (admin
 * flag, memberships, members) even when the request itself is anonymous:
 * the Viewer that `login` returns describes the account just signed in.
 */
const OWN = Symbol('reached through Viewer');

export function markOwn<T extends object>(row: T): T {
  return Object.assign(row, { [OWN]: true });
}

export function isOwn(row: object): boolean {
  return OWN in row;
}
