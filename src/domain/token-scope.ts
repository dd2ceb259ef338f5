import { formatChannel, parseChannel, type RiskName, toRisk, LATEST_TRACK } from './channel.js';
import { ValidationError } from './errors.js';

/**
 * The channel limits of a scoped token. A limit is a lone risk ("edge": that
 * risk on every track, branches included), a track/risk ("1.2/edge": that
 * risk of one track and its branches) or a full branch ("1.2/edge/fix-1").
 */
export function parseTokenChannel(input: string, field = 'channels'): string {
  const text = input.trim();
  const parts = text.split('/');
  const risk = parts.length === 1 ? toRisk(text) : undefined;
  if (risk) return risk;
  if (parts.length === 2 && toRisk(parts[0]!)) {
    throw new ValidationError(`"${input}" is ambiguous as a token channel: name the track of the branch, e.g. "latest/${text}"`, field);
  }
  // "1.2" = 1.2/stable; "1.2/edge" and "1.2/edge/fix" keep their track.
  const channel = parseChannel(text, LATEST_TRACK, field);
  const full = formatChannel(channel);
  return channel.branch ? full : `${channel.track}/${channel.risk}`;
}

/** Whether the channel limits `allowed` (empty = every channel) cover `track/risk[/branch]`. */
export function tokenChannelCovers(allowed: readonly string[], track: string, risk: RiskName, fullName: string): boolean {
  if (allowed.length === 0) return true;
  return allowed.some((channel) => channel === fullName || channel === risk || channel === `${track}/${risk}`);
}

/** Whether a (parsed) token channel limit lies within the limits `allowed`, so that a new token is never broader. */
export function tokenChannelWithin(limit: string, allowed: readonly string[]): boolean {
  if (allowed.length === 0) return true;
  if (allowed.includes(limit)) return true;
  const parts = limit.split('/');
  if (parts.length === 1) return false; // a lone risk spans every track: only the same lone risk covers it
  const [track, riskWord, branch] = parts as [string, string, string | undefined];
  const risk = riskWord as RiskName;
  return tokenChannelCovers(allowed, track, risk, branch ? limit : `${track}/${risk}`);
}
