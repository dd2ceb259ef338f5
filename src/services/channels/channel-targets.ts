import { type ChannelName, formatChannel, parseChannel, riskLike } from '../../domain/channel.js';
import { PermissionDeniedError, ValidationError } from '../../domain/errors.js';
import type { EntityAccess } from '../authorization/entity-access.js';

/**
 * Refuses a release or close naming more than `max` channels before any
 * lock is taken: each channel is written under the entity's lock.
 */
export function checkChannelCount(inputs: readonly string[], max: number, verb: 'release to' | 'close'): void {
  if (inputs.length > max) {
    throw new ValidationError(`You may ${verb} at most ${max} channels at once (${inputs.length} given); split the change into several`, 'channels');
  }
}

/**
 * Parses the channels of a release or close (duplicates count once), checks
 * that the caller may write each, and that each track exists (no statement).
 */
export function writableChannels(
  entity: { defaultTrack: string; tracks: readonly string[] },
  access: EntityAccess,
  inputs: readonly string[],
  verb: 'release to' | 'close',
): ChannelName[] {
  const { defaultTrack } = entity;
  if (inputs.length === 0) {
    throw new ValidationError(`Name at least one channel to ${verb}, e.g. ["stable"] or ["2.0/edge", "2.0/beta"]`, 'channels');
  }
  const byName = new Map<string, ChannelName>();
  // A lone word that is not a risk names a track; when it is a typo of a risk, the error says so.
  const loneWords = new Map<string, string>();
  for (const input of inputs) {
    const channel = parseChannel(input, defaultTrack, 'channels');
    byName.set(formatChannel(channel), channel);
    if (!input.includes('/')) loneWords.set(channel.track, input.trim());
  }
  const channels = [...byName.values()];
  const denied = channels.filter((channel) => !access.canWriteChannel(channel.track, channel.risk, formatChannel(channel)));
  if (denied.length > 0) {
    throw new PermissionDeniedError(
      `You may not ${verb} ${denied.map(formatChannel).join(', ')} of ${access.url}: the owner or an admin can give you write access to ${denied.length > 1 ? 'those channels' : 'that channel'}`,
    );
  }
  const wanted = [...new Set(channels.map((channel) => channel.track))];
  // The tracks come with the entity's row, read under its lock (pipeline/locked-read.ts).
  const names = entity.tracks;
  const missing = wanted.find((track) => !names.includes(track));
  if (missing !== undefined) {
    const meant = loneWords.has(missing) ? riskLike(missing) : undefined;
    if (meant !== undefined) {
      throw new ValidationError(
        `"${loneWords.get(missing)}" is neither a risk nor a track of ${access.url}: did you mean "${meant}"? (To use a new track named "${missing}", create it first with createTrack.)`,
        'channels',
      );
    }
    throw new ValidationError(
      `Track "${missing}" does not exist on ${access.url} (its tracks: ${names.join(', ')}): create it first with createTrack(input: { url: "${access.url}", name: "${missing}" })`,
      'channels',
    );
  }
  return channels;
}
