import type { Platform } from '../../domain/channel-map.js';
import { ValidationError } from '../../domain/errors.js';

/** A platform as clients give it (GraphQL BaseInput): one OS name, OS channel and architecture. */
export interface PlatformInput {
  name: string;
  channel: string;
  architecture: string;
}

// Charmcraft's words: "ubuntu", "22.04", "amd64" (lower case letters, digits, dots and dashes).
const NAME = /^[a-z][a-z0-9-]*$/;
const CHANNEL = /^[0-9][0-9a-z.]*$/;
const ARCHITECTURE = /^[a-z0-9][a-z0-9-]*$/;

/** Checks a platform given by a client; refuses empty or malformed parts with a typed error naming the field. */
export function parsePlatform(input: PlatformInput, field: string): Platform {
  const name = input.name.trim();
  const channel = input.channel.trim();
  const architecture = input.architecture.trim();
  if (!NAME.test(name)) throw new ValidationError(`"${input.name}" is not an OS name: give one such as "ubuntu"`, `${field}.name`);
  if (!CHANNEL.test(channel)) throw new ValidationError(`"${input.channel}" is not an OS channel: give one such as "22.04"`, `${field}.channel`);
  if (!ARCHITECTURE.test(architecture)) {
    throw new ValidationError(`"${input.architecture}" is not an architecture: give one such as "amd64" or "arm64"`, `${field}.architecture`);
  }
  return { name, channel, architecture };
}
