import { ValidationError } from './errors.js';

/**
 * Which resource revisions a release pins. Every resource the revision
 * declares is pinned: to the revision the caller names, or by default to the
 * newest one. Names the revision does not declare, revisions that do not
 * exist, and declared resources without any revision are refused.
 */

export interface ResourcePin {
  name: string;
  revision: number;
}

/**
 * The resource names a revision declares: the keys of the `resources` map of
 * its metadata.yaml, as push stores it in `Revision.metadata`.
 */
export function declaredResourceNames(metadata: unknown): string[] {
  if (typeof metadata !== 'object' || metadata === null || !('resources' in metadata)) return [];
  const resources = (metadata as { resources: unknown }).resources;
  if (typeof resources !== 'object' || resources === null || Array.isArray(resources)) return [];
  return Object.keys(resources).sort();
}

/**
 * Chooses one revision per declared resource. `available` maps each declared
 * name to the revision numbers pushed for it. `what` names the revision in messages.
 */
export function planResourcePins(
  what: string,
  declared: readonly string[],
  requested: readonly ResourcePin[],
  available: ReadonlyMap<string, readonly number[]>,
): ResourcePin[] {
  const requestedByName = new Map<string, number>();
  for (const pin of requested) {
    if (requestedByName.has(pin.name)) {
      throw new ValidationError(`Resource "${pin.name}" is pinned twice; give each resource once`, 'resources');
    }
    if (!declared.includes(pin.name)) {
      const declares = declared.length ? `it declares ${declared.map((name) => `"${name}"`).join(', ')}` : 'it declares no resources';
      throw new ValidationError(`${what} does not declare a resource "${pin.name}": ${declares}`, 'resources');
    }
    requestedByName.set(pin.name, pin.revision);
  }
  return declared.map((name) => {
    const revisions = available.get(name) ?? [];
    if (revisions.length === 0) {
      throw new ValidationError(
        `Resource "${name}" declared by ${what} has no revisions yet: push one with pushResource before releasing`,
        'resources',
      );
    }
    const wanted = requestedByName.get(name);
    if (wanted === undefined) return { name, revision: Math.max(...revisions) };
    if (!revisions.includes(wanted)) {
      throw new ValidationError(
        `Resource "${name}" has no revision ${wanted}: it has ${[...revisions].sort((a, b) => a - b).join(', ')}`,
        'resources',
      );
    }
    return { name, revision: wanted };
  });
}
