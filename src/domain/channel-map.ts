import { ANY_ARCHITECTURE, type Base, mergeBases } from './bases.js';

/**
 * Channel maps per platform (Charmhub's channel x base): a channel holds one
 * entry per platform (OS name, OS channel, architecture), each pointing at
 * a revision. Pure rules, no I/O:
 * - a release occupies the platforms its revision declares and leaves the
 *   others' entries alone (an arm64-only revision does not replace amd64);
 * - an "all" architecture entry serves every architecture of its base that
 *   has no entry of its own; a revision declaring no base (bundles, charms
 *   with neither bases nor a known series) is the "any platform" entry,
 *   serving every platform without a more specific entry;
 * - releasing a broader entry replaces the narrower ones it covers ("all"
 *   replaces the base's architectures, "any" replaces everything), so that
 *   after a release every platform the revision declares gets it.
 */

/** One platform: what one channel map entry is for. "" everywhere is the "any platform" entry. */
export interface Platform {
  name: string;
  channel: string;
  architecture: string;
}

/** The entry of revisions that declare no base: every platform. */
export const ANY_PLATFORM: Platform = { name: '', channel: '', architecture: '' };

export function platformKey(platform: Platform): string {
  return `${platform.name}@${platform.channel}:${platform.architecture}`;
}

export function isAnyPlatform(platform: Platform): boolean {
  return platform.name === '' && platform.channel === '' && platform.architecture === '';
}

/** The platforms a revision occupies when released: one per base and architecture, or "any" for no bases. */
export function revisionPlatforms(bases: readonly Base[]): Platform[] {
  const platforms = bases.flatMap((base) => base.architectures.map((architecture) => ({ name: base.name, channel: base.channel, architecture })));
  return platforms.length ? platforms : [ANY_PLATFORM];
}

/** Platforms back to bases (architectures grouped per base), for history and display; "any" is no base. */
export function platformsToBases(platforms: readonly Platform[]): Base[] {
  return mergeBases(platforms.filter((platform) => !isAnyPlatform(platform)).map((p) => ({ name: p.name, channel: p.channel, architectures: [p.architecture] })));
}

/** The specific architectures of platforms (not "all", not "any"): what resource revisions pinned with them must be for. */
export function platformArchitectures(platforms: readonly Platform[]): string[] {
  return [...new Set(platforms.map((platform) => platform.architecture).filter((architecture) => architecture !== '' && architecture !== ANY_ARCHITECTURE))].sort();
}

/** Whether an entry for `held` serves a client on `wanted` when nothing more specific does. */
function covers(held: Platform, wanted: Platform): boolean {
  if (isAnyPlatform(held)) return true;
  if (held.name !== wanted.name || held.channel !== wanted.channel) return false;
  return held.architecture === wanted.architecture || held.architecture === ANY_ARCHITECTURE;
}

/** How specific an entry is: an exact platform beats "all" architectures, which beats "any platform". */
function specificity(platform: Platform): number {
  if (isAnyPlatform(platform)) return 0;
  return platform.architecture === ANY_ARCHITECTURE ? 1 : 2;
}

/** The entry of a channel that serves `wanted`: the most specific one covering it; undefined when none. */
export function entryFor<E extends { platform: Platform }>(entries: readonly E[], wanted: Platform): E | undefined {
  let best: E | undefined;
  for (const entry of entries) {
    if (!covers(entry.platform, wanted)) continue;
    if (!best || specificity(entry.platform) > specificity(best.platform)) best = entry;
  }
  return best;
}

/**
 * The entries a release of `occupied` replaces: the same platforms, and
 * the narrower ones they cover ("all" covers the base's architectures, "any"
 * everything). Entries it does not cover stay, so other platforms keep
 * their revisions and a narrower release leaves a broader entry serving the
 * rest.
 */
export function replacedEntries<E extends { platform: Platform }>(entries: readonly E[], occupied: readonly Platform[]): E[] {
  return entries.filter((entry) => occupied.some((platform) => covers(platform, entry.platform)));
}

/** The platforms of a channel map listed for display: by name, channel, then architecture ("any" last). */
export function sortPlatforms(platforms: Iterable<Platform>): Platform[] {
  const unique = new Map<string, Platform>();
  for (const platform of platforms) unique.set(platformKey(platform), platform);
  return [...unique.values()].sort(
    (a, b) =>
      Number(isAnyPlatform(a)) - Number(isAnyPlatform(b)) ||
      a.name.localeCompare(b.name) ||
      a.channel.localeCompare(b.channel, undefined, { numeric: true }) ||
      a.architecture.localeCompare(b.architecture),
  );
}
