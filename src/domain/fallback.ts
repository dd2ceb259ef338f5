import { type ChannelName, formatChannel, RISKS, type RiskName, riskRank } from './channel.js';

/**
 * What a deploy from a channel gets. Pure rules, no I/O:
 * - a risk serves its own pointer while open; a closed or never-released risk
 *   falls back to the next more stable risk of the same track
 *   (edge -> beta -> candidate -> stable), never to a less stable one, and a
 *   closed stable serves nothing;
 * - a branch serves its own pointer while open; closed, never released, or
 *   without a release for the branch lifetime, it falls back to its
 *   track/risk (and from there as above).
 */

/** One stored channel pointer (a Channel row), generic over how a revision is identified. */
export interface ChannelPointer<R> {
  track: string;
  risk: RiskName;
  /** null (or "") for the risk itself. */
  branch: string | null;
  /** The revision the last release set; null after a close. */
  revision: R | null;
  closed: boolean;
  lastReleasedAt: Date | null;
}

/** A channel as a reader sees it at one moment. */
export interface ChannelStatus<R> {
  channel: ChannelName;
  /** What this channel itself holds: null when never released, closed, or an expired branch. */
  revision: R | null;
  /** Closed explicitly, or an expired branch. */
  closed: boolean;
  /** Branches only: when the branch closes unless released to again (in the past once expired). */
  expiresAt: Date | null;
  /** The channel whose revision a deploy gets: itself while open, else the one it falls back to; null if none. */
  servedBy: ChannelName | null;
  effectiveRevision: R | null;
  /** The channels looked at, in order, up to and including the one that served. */
  tried: ChannelName[];
}

export type RefreshAction = 'NONE' | 'UPGRADE' | 'DOWNGRADE';

function key(track: string, risk: RiskName, branch: string | null): string {
  return `${track}\u0000${risk}\u0000${branch ?? ''}`;
}

/** The channels a request for `channel` looks at, in order: the branch, its risk, then each more stable risk. */
export function fallbackOrder(channel: ChannelName): ChannelName[] {
  const order: ChannelName[] = channel.branch ? [channel] : [];
  for (let rank = riskRank(channel.risk); rank >= 0; rank--) {
    order.push({ track: channel.track, risk: RISKS[rank]!, branch: null });
  }
  return order;
}

/** The channels of one entity at one moment. */
export class ChannelSet<R> {
  private readonly pointers = new Map<string, ChannelPointer<R>>();

  constructor(
    pointers: Iterable<ChannelPointer<R>>,
    private readonly now: Date,
    private readonly branchLifetimeMs: number,
  ) {
    for (const pointer of pointers) this.pointers.set(key(pointer.track, pointer.risk, pointer.branch || null), pointer);
  }

  /** The channel's own state, before any fall-back. */
  own(channel: ChannelName): { revision: R | null; closed: boolean; expiresAt: Date | null } {
    const pointer = this.pointers.get(key(channel.track, channel.risk, channel.branch));
    if (!pointer) return { revision: null, closed: false, expiresAt: null };
    if (pointer.closed) return { revision: null, closed: true, expiresAt: null };
    if (channel.branch && pointer.lastReleasedAt) {
      const expiresAt = new Date(pointer.lastReleasedAt.getTime() + this.branchLifetimeMs);
      const expired = this.now.getTime() >= expiresAt.getTime();
      return { revision: expired ? null : pointer.revision, closed: expired, expiresAt };
    }
    return { revision: pointer.revision, closed: false, expiresAt: null };
  }

  /** The channel with its fall-back applied. */
  status(channel: ChannelName): ChannelStatus<R> {
    const own = this.own(channel);
    const tried: ChannelName[] = [];
    for (const candidate of fallbackOrder(channel)) {
      tried.push(candidate);
      const revision = this.own(candidate).revision;
      if (revision !== null) return { channel, ...own, servedBy: candidate, effectiveRevision: revision, tried };
    }
    return { channel, ...own, servedBy: null, effectiveRevision: null, tried };
  }

  /** Open branches of `track/risk`, by name. */
  liveBranches(track: string, risk: RiskName): string[] {
    const names: string[] = [];
    for (const pointer of this.pointers.values()) {
      if (pointer.track !== track || pointer.risk !== risk || !pointer.branch) continue;
      if (this.own({ track, risk, branch: pointer.branch }).revision !== null) names.push(pointer.branch);
    }
    return names.sort();
  }

  /** Every channel of `track`: stable..edge, each risk followed by its live branches. */
  trackChannels(track: string): ChannelStatus<R>[] {
    return RISKS.flatMap((risk) => [
      this.status({ track, risk, branch: null }),
      ...this.liveBranches(track, risk).map((branch) => this.status({ track, risk, branch })),
    ]);
  }
}

/** Tracks for display: the default track first, then by creation, then by name. */
export function orderTracks<T extends { name: string; createdAt: Date }>(tracks: T[], defaultTrack: string): T[] {
  return [...tracks].sort(
    (a, b) =>
      Number(b.name === defaultTrack) - Number(a.name === defaultTrack) ||
      a.createdAt.getTime() - b.createdAt.getTime() ||
      a.name.localeCompare(b.name),
  );
}

/** What refreshing from `current` to the channel's `served` revision does. No current revision = nothing to compare. */
export function refreshAction(current: number | null | undefined, served: number): RefreshAction {
  if (current === null || current === undefined || current === served) return 'NONE';
  return served > current ? 'UPGRADE' : 'DOWNGRADE';
}

/** "latest/edge" for messages. */
export function describeChannels(channels: ChannelName[]): string {
  return channels.map(formatChannel).join(', ');
}
