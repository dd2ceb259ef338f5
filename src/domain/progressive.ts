import { createHash } from 'node:crypto';
import { ValidationError } from './errors.js';

/**
 * Progressive releases (the Snap Store's `release --progressive`): a
 * revision released to a channel at N per cent is served to N per cent of
 * the instances refreshing from it, and the channel's previous revision to
 * the rest, until the rollout is completed (everybody gets the new revision)
 * or cancelled (everybody gets the previous one again).
 *
 * Which instances get it is decided without any stored state: an instance's
 * position in the rollout is a hash of its key and the revision, a number in
 * [0, 100). The instance gets the revision when its position is below the
 * percentage. So, as the percentage grows, the instances that had it keep it
 * (no instance flips back and forth), each rollout of another revision picks
 * an independent sample (the same instances are not always first), and every
 * process of the store decides the same way.
 */

export const MIN_PERCENTAGE = 1;
export const MAX_PERCENTAGE = 100;
/** An instance key is an opaque client id (Juju: the model and application); long ones are refused rather than hashed blindly. */
export const MAX_INSTANCE_KEY_LENGTH = 256;

/** A percentage as a rollout takes it: a whole number from 1 to 100 (100 completes the rollout). */
export function checkPercentage(percentage: number, field: string): number {
  if (!Number.isInteger(percentage) || percentage < MIN_PERCENTAGE || percentage > MAX_PERCENTAGE) {
    throw new ValidationError(
      `${percentage} is not a percentage of instances a revision can be released to: give a whole number from ${MIN_PERCENTAGE} to ${MAX_PERCENTAGE} (100 releases it to every instance)`,
      field,
    );
  }
  return percentage;
}

/** An instance key as resolve and refresh take it: any non-empty text up to MAX_INSTANCE_KEY_LENGTH characters. */
export function checkInstanceKey(instanceKey: string, field: string): string {
  if (instanceKey.trim() === '' || instanceKey.length > MAX_INSTANCE_KEY_LENGTH) {
    throw new ValidationError(
      `instanceKey must be a non-empty identifier of the deployed instance of at most ${MAX_INSTANCE_KEY_LENGTH} characters (e.g. the model UUID and application name); the same key must be sent every time`,
      field,
    );
  }
  return instanceKey;
}

/**
 * The instance's position in the rollout of one revision of one entity: a
 * number in [0, 100), uniformly spread over instance keys (the first 48 bits
 * of a SHA-256). The entity is part of the hash so that one instance key
 * used for several charms does not put it first in every rollout.
 */
export function rolloutPosition(instanceKey: string, entityUrl: string, revision: number): number {
  const digest = createHash('sha256').update(`${entityUrl}\n${revision}\n${instanceKey}`).digest();
  return (digest.readUIntBE(0, 6) / 2 ** 48) * 100;
}

/**
 * Whether an instance gets the revision being rolled out at `percentage`.
 * An instance that names no key is outside every rollout and gets the
 * previous revision: without a key the choice could not be the same on its
 * next refresh, and anonymous downloads must not widen a rollout.
 */
export function receivesRollout(instanceKey: string | null, entityUrl: string, revision: number, percentage: number): boolean {
  if (percentage >= MAX_PERCENTAGE) return true;
  if (instanceKey === null) return false;
  return rolloutPosition(instanceKey, entityUrl, revision) < percentage;
}

/** The rollout state of one channel entry: the revision being rolled out is the entry's own; the rest get `previous`. */
export interface Rollout<R> {
  percentage: number;
  /** What the other instances get; null when the channel served nothing before (they fall back as from a closed channel). */
  previous: R | null;
}

/** A rollout in progress that a promote would copy from: where, what, and how far. */
export interface RolloutInSource {
  /** The full name of the channel holding the rollout (`from`, or the channel it falls back to). */
  channel: string;
  revision: number;
  percentage: number;
  /** What the instances outside the rollout get; null when they fall back. */
  previousRevision: number | null;
  /** The platforms rolled out ("ubuntu 22.04/amd64"); empty for a channel's own pointer. */
  platforms: string[];
}

/**
 * Promote copies what a channel serves to everyone; a channel with a
 * rollout in progress serves two revisions, so there is no one thing to
 * copy, and copying the new revision to everyone would widen the rollout
 * behind the publisher's back (snapcraft promote likewise refuses a source
 * that is not one complete build set). The refusal names the rollout and
 * the ways on: finish it, cancel it, or release progressively to the
 * targets, which keeps the same instances first (a rollout position does
 * not depend on the channel).
 */
export function refusePromotingRollouts(entityUrl: string, rollouts: readonly RolloutInSource[]): void {
  const [first] = rollouts;
  if (!first) return;
  const described = rollouts.map((rollout) => {
    const where = rollout.platforms.length ? ` for ${rollout.platforms.join(', ')}` : '';
    const others = rollout.previousRevision === null ? 'the others fall back' : `the others get revision ${rollout.previousRevision}`;
    return `${rollout.channel} is rolling out revision ${rollout.revision}${where} to ${rollout.percentage}% of instances (${others})`;
  });
  throw new ValidationError(
    `${described.join('; ')} of ${entityUrl}, so it serves two revisions and promote cannot copy one: complete the rollout (updateProgressive with percentage: 100) or cancel it first, or release revision ${first.revision} to the targets with progressive: {percentage: ${first.percentage}}`,
    'from',
  );
}
