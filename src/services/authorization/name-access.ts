import { EVERYONE } from '../../domain/names.js';
import type { Caller } from './caller.js';
import { tokenPermits } from './permissions.js';

/**
 * Whether the caller may register a name for `~owner` (creating `url`,
 * canonical): a signed-in user for themselves or a group they belong to, an
 * admin for anyone; a scoped token must allow account-register-package and,
 * when limited to entities, list this one. Returns why not, or null.
 */
export function registerNameProblem(caller: Caller, owner: string, url: string): string | null {
  const actor = caller.actor;
  if (!actor) return 'Sign in first: this operation needs a bearer token from the login mutation';
  if (!tokenPermits(actor.permissions, 'account-register-package')) {
    return 'The token in use does not allow account-register-package; registering names needs it';
  }
  if (actor.entities.length > 0 && !actor.entities.includes(url)) return `The token in use is limited to other entities than ${url}`;
  if (caller.isAdmin || (owner !== EVERYONE && caller.principals.includes(owner))) return null;
  return `You may register names for yourself and for the groups you belong to, not for "${owner}"`;
}

/** Reserved names: only admins may register them. */
export function mayRegisterReserved(caller: Caller): boolean {
  return caller.isAdmin;
}
