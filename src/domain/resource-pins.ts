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
  /** Per name, the revisions made for the release's architectures: a default pin is the newest of these when there are any. */
  preferred: ReadonlyMap<string, readonly number[]> = available,
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
    if (wanted === undefined) {
      const fitting = preferred.get(name) ?? [];
      return { name, revision: Math.max(...(fitting.length ? fitting : revisions)) };
    }
    if (!revisions.includes(wanted)) {
      throw new ValidationError(
        `Resource "${name}" has no revision ${wanted}: it has ${[...revisions].sort((a, b) => a - b).join(', ')}`,
        'resources',
      );
    }
    return { name, revision: wanted };
  });
}

/** A resource revision's architectures (`setResourceArchitectures`): empty means every architecture. */
export function resourceFits(resourceArchitectures: readonly string[], architectures: readonly string[]): boolean {
  return resourceArchitectures.length === 0 || architectures.every((architecture) => resourceArchitectures.includes(architecture));
}

/**
 * Refuses pins of resource revisions made for other architectures than the
 * release occupies (an arm64 image pinned with an amd64 build): the pins
 * follow the platform entries, so each must run where its entry serves.
 */
export function checkPinArchitectures(
  what: string,
  architectures: readonly string[],
  pins: ReadonlyArray<ResourcePin & { architectures: readonly string[] }>,
): void {
  if (architectures.length === 0) return;
  const misfit = pins.find((pin) => !resourceFits(pin.architectures, architectures));
  if (misfit) {
    throw new ValidationError(
      `Resource "${misfit.name}" revision ${misfit.revision} is for ${misfit.architectures.join(', ')}, but ${what} runs on ${architectures.join(', ')}: pin a revision for those architectures, or change its architectures with setResourceArchitectures`,
      'resources',
    );
  }
}
