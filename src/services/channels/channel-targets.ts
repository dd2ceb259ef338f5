import type { Tx } from '../../db/database.js';
import { type ChannelName, formatChannel, parseChannel } from '../../domain/channel.js';
import { PermissionDeniedError, ValidationError } from '../../domain/errors.js';
import type { EntityAccess } from '../authorization/entity-access.js';

/** The entity row's channel settings, read under its row lock. */
export interface LockedEntity {
  defaultTrack: string;
  trackGuardrail: string | null;
}

/**
 * Locks the entity's row for the rest of the transaction. Every change to an
 * entity's channels, tracks and default track takes this lock first, so that
 * concurrent releases and closes (from any number of server processes) apply
 * one after the other: no history entry is lost and each pointer equals its
 * newest history entry. `FOR NO KEY UPDATE` leaves inserts of rows that only
 * reference the entity (revisions, releases) unblocked.
 */
export async function lockEntity(tx: Tx, entityId: number): Promise<LockedEntity> {
  const rows = await tx.$queryRaw<LockedEntity[]>`
    SELECT "defaultTrack", "trackGuardrail" FROM "Entity" WHERE "id" = ${entityId} FOR NO KEY UPDATE`;
  const row = rows[0];
  if (!row) throw new Error(`entity ${entityId} vanished while locked`);
  return row;
}

/**
 * Parses the channels of a release or close (duplicates count once), checks
 * that the caller may write each, and that each track exists.
 */
export async function writableChannels(
  tx: Tx,
  access: EntityAccess,
  locked: LockedEntity,
  inputs: readonly string[],
  verb: 'release to' | 'close',
): Promise<ChannelName[]> {
  if (inputs.length === 0) {
    throw new ValidationError(`Name at least one channel to ${verb}, e.g. ["stable"] or ["2.0/edge", "2.0/beta"]`, 'channels');
  }
  const byName = new Map<string, ChannelName>();
  for (const input of inputs) {
    const channel = parseChannel(input, locked.defaultTrack, 'channels');
    byName.set(formatChannel(channel), channel);
  }
  const channels = [...byName.values()];
  const denied = channels.filter((channel) => !access.canWriteChannel(channel.track, channel.risk, formatChannel(channel)));
  if (denied.length > 0) {
    throw new PermissionDeniedError(
      `You may not ${verb} ${denied.map(formatChannel).join(', ')} of ${access.url}: the owner or an admin can give you write access to ${denied.length > 1 ? 'those channels' : 'that channel'}`,
    );
  }
  const wanted = [...new Set(channels.map((channel) => channel.track))];
  const existing = await tx.track.findMany({ where: { entityId: access.entity.id }, select: { name: true }, orderBy: { createdAt: 'asc' } });
  const names = existing.map((track) => track.name);
  const missing = wanted.find((track) => !names.includes(track));
  if (missing !== undefined) {
    throw new ValidationError(
      `Track "${missing}" does not exist on ${access.url} (its tracks: ${names.join(', ')}): create it first with createTrack(input: { url: "${access.url}", name: "${missing}" })`,
      'channels',
    );
  }
  return channels;
}
