import { EVERYONE } from '../../domain/names.js';
import type { Caller } from './caller.js';
import { tokenPermits } from './permissions.js';

/**
 * Whether the caller may create a new entity (by its first push) under
 * `~owner`: their own namespace, a group they belong to, or anywhere for an
 * admin. A scoped token must allow pushing and, when limited to entities,
 * list this one (`url`, canonical).
 */
export function canCreateEntityIn(caller: Caller, owner: string, url: string): boolean {
  const actor = caller.actor;
  if (!actor) return false;
  if (!tokenPermits(actor.permissions, 'package-manage-revisions')) return false;
  if (actor.entities.length > 0 && !actor.entities.includes(url)) return false;
  return caller.isAdmin || (owner !== EVERYONE && caller.principals.includes(owner));
}
