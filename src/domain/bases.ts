/**
 * Bases: the platform a charm revision runs on (an OS name, its channel and
 * the architectures), as Charmhub describes charms packed today. Old charms
 * say `series` instead; the table below maps each Ubuntu series to its base
 * so every charm revision answers with bases, whichever era it comes from.
 * Pure rules only: the archive checks (archive.ts) feed parsed YAML in here.
 */

export interface Base {
  name: string;
  channel: string;
  architectures: string[];
}

/**
 * The architecture a base gets when its source names none (series-era
 * charms): charmcraft's and Charmhub's word for "architecture independent".
 */
export const ANY_ARCHITECTURE = 'all';

/** Ubuntu series names and the base each stands for (the releases charms were published for). */
export const SERIES_BASES: Readonly<Record<string, { name: string; channel: string }>> = {
  precise: { name: 'ubuntu', channel: '12.04' },
  trusty: { name: 'ubuntu', channel: '14.04' },
  xenial: { name: 'ubuntu', channel: '16.04' },
  bionic: { name: 'ubuntu', channel: '18.04' },
  focal: { name: 'ubuntu', channel: '20.04' },
  jammy: { name: 'ubuntu', channel: '22.04' },
  kinetic: { name: 'ubuntu', channel: '22.10' },
  lunar: { name: 'ubuntu', channel: '23.04' },
  mantic: { name: 'ubuntu', channel: '23.10' },
  noble: { name: 'ubuntu', channel: '24.04' },
  oracular: { name: 'ubuntu', channel: '24.10' },
  plucky: { name: 'ubuntu', channel: '25.04' },
  centos7: { name: 'centos', channel: '7' },
  centos8: { name: 'centos', channel: '8' },
};

/** The base a series stands for; undefined for series without one (e.g. "kubernetes") and unknown words. */
export function seriesBase(series: string): { name: string; channel: string } | undefined {
  return Object.hasOwn(SERIES_BASES, series) ? SERIES_BASES[series] : undefined;
}

/**
 * The bases a list of series stands for, in the list's order. Series with
 * no base (e.g. "kubernetes", the old k8s charms' pseudo-series) are left out.
 */
export function basesFromSeries(series: readonly string[]): Base[] {
  return mergeBases(
    series.flatMap((name) => {
      const base = seriesBase(name);
      return base ? [{ ...base, architectures: [ANY_ARCHITECTURE] }] : [];
    }),
  );
}

/** Joins entries of the same name and channel, keeping the first-seen order of bases and architectures. */
export function mergeBases(bases: readonly Base[]): Base[] {
  const merged = new Map<string, Base>();
  for (const base of bases) {
    const key = `${base.name}@${base.channel}`;
    const known = merged.get(key);
    if (!known) merged.set(key, { name: base.name, channel: base.channel, architectures: [...new Set(base.architectures)] });
    else for (const arch of base.architectures) if (!known.architectures.includes(arch)) known.architectures.push(arch);
  }
  return [...merged.values()];
}

/** Why a `bases`/`platforms` value cannot be read, for the caller's refusal message. */
export class BaseSyntaxError extends Error {}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringList(value: unknown, what: string): string[] {
  if (value === undefined || value === null) return [];
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || list.some((item) => typeof item !== 'string')) throw new BaseSyntaxError(`${what} must be a list of strings`);
  return list as string[];
}

/** One `{name, channel, architectures}` mapping (manifest.yaml and charmcraft.yaml's short form). */
export function parseBaseEntry(value: unknown): Base {
  if (!isRecord(value) || typeof value.name !== 'string' || (typeof value.channel !== 'string' && typeof value.channel !== 'number')) {
    throw new BaseSyntaxError('each base must be a mapping {name, channel, architectures}');
  }
  const architectures = stringList(value.architectures, 'architectures');
  return { name: value.name, channel: String(value.channel), architectures: architectures.length ? architectures : [ANY_ARCHITECTURE] };
}

/**
 * charmcraft.yaml `bases` (charmcraft 1 and 2): a list of short-form bases,
 * or of `{build-on, run-on}` pairs, where run-on (build-on when it is
 * missing) lists where the packed charm runs.
 */
export function parseCharmcraftBases(value: unknown): Base[] {
  if (!Array.isArray(value)) throw new BaseSyntaxError('"bases" must be a list');
  return mergeBases(
    value.flatMap((entry) => {
      if (isRecord(entry) && ('build-on' in entry || 'run-on' in entry)) {
        const runOn = entry['run-on'] ?? entry['build-on'];
        if (!Array.isArray(runOn)) throw new BaseSyntaxError('"run-on" must be a list of bases');
        return runOn.map(parseBaseEntry);
      }
      return [parseBaseEntry(entry)];
    }),
  );
}

const PLATFORM_SHORTHAND = /^([a-z][a-z0-9-]*)@([0-9][0-9a-z.]*):([a-z0-9]+)$/;

function parsePlatformText(text: string): Base {
  const match = PLATFORM_SHORTHAND.exec(text);
  if (!match) throw new BaseSyntaxError(`"${text}" is not a platform of the form <name>@<channel>:<architecture>, e.g. "ubuntu@22.04:amd64"`);
  return { name: match[1]!, channel: match[2]!, architectures: [match[3]!] };
}

/**
 * charmcraft.yaml `platforms` (charmcraft 3): keys such as
 * "ubuntu@22.04:amd64", or any name with `build-for: [ubuntu@22.04:arm64]`,
 * or, with a top-level `base: ubuntu@22.04`, keys that are architectures.
 */
export function parsePlatforms(value: unknown, base: unknown): Base[] {
  if (!isRecord(value)) throw new BaseSyntaxError('"platforms" must be a mapping');
  const defaultBase = typeof base === 'string' ? /^([a-z][a-z0-9-]*)@([0-9][0-9a-z.]*)$/.exec(base) : null;
  return mergeBases(
    Object.entries(value).flatMap(([key, platform]) => {
      if (isRecord(platform) && platform['build-for'] !== undefined) return stringList(platform['build-for'], '"build-for"').map(parsePlatformText);
      if (PLATFORM_SHORTHAND.test(key)) return [parsePlatformText(key)];
      if (defaultBase) return [{ name: defaultBase[1]!, channel: defaultBase[2]!, architectures: [key] }];
      throw new BaseSyntaxError(`platform "${key}" names no base: use "<name>@<channel>:<architecture>" or give "build-for"`);
    }),
  );
}

/** Whether a revision with these bases runs on the platform (an "all" architecture runs everywhere). */
export function basesInclude(bases: readonly Base[], platform: { name: string; channel: string; architecture: string }): boolean {
  return bases.some(
    (base) =>
      base.name === platform.name &&
      base.channel === platform.channel &&
      (base.architectures.includes(platform.architecture) || base.architectures.includes(ANY_ARCHITECTURE)),
  );
}

/**
 * Whether a revision runs on a url's series segment ("cs:~kirk/jammy/foo"):
 * it declares the series, or a base the series stands for (a charm packed
 * today declares bases only).
 */
export function supportsSeries(revision: { series: readonly string[]; bases: readonly Base[] }, series: string): boolean {
  if (revision.series.includes(series)) return true;
  const base = seriesBase(series);
  return base !== undefined && revision.bases.some((candidate) => candidate.name === base.name && candidate.channel === base.channel);
}

/**
 * The architecture a url's series segment stands for when the client names
 * no base: Juju's default architecture, what it deploys to unless a
 * constraint says otherwise. An "all" entry covers it.
 */
export const SERIES_DEFAULT_ARCHITECTURE = 'amd64';

/**
 * The architectures to try, in order, for a url with a series segment and
 * no base: the default one first, then the specific architectures the
 * channel map holds for the series' base (sorted, so every process answers
 * the same), so that a series served only to arm64 is still found.
 */
export function seriesArchitectures(held: Iterable<string>): string[] {
  const specific = [...new Set(held)].filter((architecture) => architecture !== '' && architecture !== ANY_ARCHITECTURE && architecture !== SERIES_DEFAULT_ARCHITECTURE);
  return [SERIES_DEFAULT_ARCHITECTURE, ...specific.sort()];
}
