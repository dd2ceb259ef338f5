import { formatChannel, parseChannel } from './channel.js';

/**
 * The channel a download is counted under: the `channel` parameter of its url
 * when it is a full channel name ("latest/stable", "2.0/edge/fix"), else ""
 * (unknown). Only full names count, so one channel is never split across
 * spellings ("stable" depends on the entity's default track).
 */
export function countedDownloadChannel(parameter: string | null): string {
  if (parameter === null) return '';
  try {
    const full = formatChannel(parseChannel(parameter, '-'));
    return full === parameter ? full : '';
  } catch {
    return '';
  }
}
