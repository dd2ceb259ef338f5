import { createHash, randomBytes } from 'node:crypto';

/** Bearer tokens are random secrets; the database only ever sees their SHA-256. */
const TOKEN_PREFIX = 'csk_';

export function newTokenSecret(): string {
  return TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

export function hashTokenSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export function looksLikeTokenSecret(secret: string): boolean {
  return /^csk_[A-Za-z0-9_-]{43}$/.test(secret);
}
