import { ValidationError } from './errors.js';

/** Risks from most to least stable; a closed risk falls back towards the front. */
export const RISKS = ['stable', 'candidate', 'beta', 'edge'] as const;
export type RiskName = (typeof RISKS)[number];

export const UNPUBLISHED = 'unpublished';
export const LATEST_TRACK = 'latest';

// A Map, not an object literal: "constructor" or "toString" must not look like risks.
const RISK_ALIASES = new Map<string, RiskName>([
  ['stable', 'stable'],
  ['candidate', 'candidate'],
  ['rc', 'candidate'],
  ['beta', 'beta'],
  ['edge', 'edge'],
]);
const TRACK_OR_BRANCH = /^[a-zA-Z0-9](?:[_.-]?[a-zA-Z0-9])*$/;
export const MAX_TRACK_LENGTH = 28;
export const MAX_BRANCH_LENGTH = 128;

export interface ChannelName {
  track: string;
  risk: RiskName;
  branch: string | null;
}

const CHANNEL_HINT =
  'a channel is [track/]risk[/branch] with risk one of stable, candidate (or rc), beta, edge, e.g. "stable", "2.0/edge", "latest/stable/hotfix-1", or a lone track such as "1.2" (= 1.2/stable)';

export function toRisk(word: string): RiskName | undefined {
  return RISK_ALIASES.get(word);
}

export function riskRank(risk: RiskName): number {
  return RISKS.indexOf(risk);
}

/**
 * The risk a word was probably meant to be ("stabel", "egde", "Beta"), or
 * undefined: within one typo (a wrong, missing, extra or swapped letter) of
 * a four-letter risk, two of a longer one.
 */
export function riskLike(word: string): RiskName | undefined {
  const lower = word.toLowerCase();
  return RISKS.find((risk) => typoDistance(lower, risk) <= (risk.length <= 4 ? 1 : 2));
}

/** Optimal string alignment distance (Levenshtein plus swapped neighbours); a dozen lines, not worth a dependency. */
function typoDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 3;
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i += 1) {
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}

/** Words a track may not be called, in any letter case: a track named "Edge" would read like a risk. */
function isReservedWord(name: string): boolean {
  const lower = name.toLowerCase();
  return toRisk(lower) !== undefined || lower === UNPUBLISHED;
}

export function isValidTrackName(name: string): boolean {
  return name.length <= MAX_TRACK_LENGTH && TRACK_OR_BRANCH.test(name) && !isReservedWord(name);
}

export function trackNameProblem(name: string): string {
  return `"${name}" is not a valid track name: use at most ${MAX_TRACK_LENGTH} letters and digits, optionally separated by single ".", "_" or "-", and neither a risk name nor "${UNPUBLISHED}"`;
}

/**
 * Whether parseChannel takes the channel's track from the default track
 * (`edge`, `edge/fix`), rather than from the text (`2.0`, `2.0/edge`,
 * `2.0/edge/fix`).
 */
export function usesDefaultTrack(input: string): boolean {
  const parts = input.trim().split('/');
  return parts.length <= 2 && toRisk(parts[0]!) !== undefined;
}

/**
 * Parses `[track/]risk[/branch]`. A lone risk uses `defaultTrack`; a lone
 * other word is that track's stable risk; `risk/branch` (a risk, then any
 * word, risk words included) uses the default track.
 */
export function parseChannel(input: string, defaultTrack: string, field = 'channel'): ChannelName {
  const fail = (why: string): never => {
    throw new ValidationError(`"${input}" is not a valid channel: ${why}; ${CHANNEL_HINT}`, field);
  };
  const text = input.trim();
  if (text === '') fail('it is empty');
  const parts = text.split('/');
  if (parts.some((part) => part === '')) fail('it has an empty part');
  let track: string;
  let riskWord: string;
  let branch: string | null = null;
  if (parts.length === 1) {
    const [word] = parts as [string];
    if (toRisk(word)) {
      track = defaultTrack;
      riskWord = word;
    } else {
      track = word;
      riskWord = 'stable';
    }
  } else if (parts.length === 2) {
    const [first, second] = parts as [string, string];
    // A risk first is always risk/branch, even when the branch is a risk
    // word ("stable/edge" = latest/stable/edge, as juju, snapd and charmcraft
    // read it): no track may be named like a risk, so nothing else is meant.
    if (toRisk(first)) {
      track = defaultTrack;
      riskWord = first;
      branch = second;
    } else if (toRisk(second)) {
      track = first;
      riskWord = second;
    } else {
      return fail(`neither "${first}" nor "${second}" is a risk`);
    }
  } else if (parts.length === 3) {
    [track, riskWord, branch] = parts as [string, string, string];
    if (!toRisk(riskWord)) fail(`"${riskWord}" is not a risk`);
  } else {
    return fail('it has more than three parts');
  }
  if (track === UNPUBLISHED) fail('"unpublished" holds every revision and cannot be released to');
  if (!isValidTrackName(track)) fail(trackNameProblem(track));
  if (branch !== null && (branch.length > MAX_BRANCH_LENGTH || !TRACK_OR_BRANCH.test(branch))) {
    fail(`"${branch}" is not a valid branch name: use at most ${MAX_BRANCH_LENGTH} letters and digits, optionally separated by single ".", "_" or "-"`);
  }
  return { track, risk: toRisk(riskWord)!, branch };
}

/** The full name, always with the track: "latest/stable", "2.0/edge/hotfix-1". */
export function formatChannel(channel: ChannelName): string {
  return `${channel.track}/${channel.risk}${channel.branch ? `/${channel.branch}` : ''}`;
}

/** An ACL list's scope: the unpublished channel, or a risk on every track or on one track. */
export type AclScope = { kind: 'unpublished' } | { kind: 'risk'; risk: RiskName; track: string | null };

/** Parses the channel of an ACL change: "unpublished", "edge", "rc", "1.2/edge". Branches share their risk's lists. */
export function parseAclScope(input: string, field = 'channel'): AclScope {
  const text = input.trim();
  if (text === UNPUBLISHED) return { kind: 'unpublished' };
  const parts = text.split('/');
  const fail = (): never => {
    throw new ValidationError(
      `"${input}" is not a valid ACL channel: use "unpublished", a risk (stable, candidate or rc, beta, edge) or track/risk such as "1.2/edge"`,
      field,
    );
  };
  if (parts.length === 1) {
    const risk = toRisk(parts[0]!);
    return risk ? { kind: 'risk', risk, track: null } : fail();
  }
  if (parts.length === 2) {
    const [track, riskWord] = parts as [string, string];
    const risk = toRisk(riskWord);
    if (!risk || !isValidTrackName(track)) return fail();
    return { kind: 'risk', risk, track };
  }
  return fail();
}

/** How an ACL scope is stored: "unpublished", "edge", "1.2/edge". */
export function formatAclScope(scope: AclScope): string {
  if (scope.kind === 'unpublished') return UNPUBLISHED;
  return scope.track ? `${scope.track}/${scope.risk}` : scope.risk;
}
