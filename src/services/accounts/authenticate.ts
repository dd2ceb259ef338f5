import type { PrismaClient } from '../../db/database.js';
import { AuthenticationError } from '../../domain/errors.js';
import type { Actor } from '../context.js';
import { hashTokenSecret, looksLikeTokenSecret } from '../tokens.js';

const LAST_USED_RESOLUTION_MS = 60_000;

/**
 * Turns an Authorization header into the caller. No header is anonymous
 * (null); anything else that is not a live token is an AuthenticationError,
 * never a silent downgrade to anonymous.
 */
export async function authenticate(prisma: PrismaClient, authorization: string | null, now: Date): Promise<Actor | null> {
  if (authorization === null || authorization.trim() === '') return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  if (!match?.[1]) {
    throw new AuthenticationError('The Authorization header must be "Bearer <token>"');
  }
  const secret = match[1];
  if (!looksLikeTokenSecret(secret)) {
    throw new AuthenticationError('The bearer token is malformed; sign in again with the login mutation');
  }
  const token = await prisma.token.findUnique({
    where: { secretHash: hashTokenSecret(secret) },
    // The user's groups come with the token (one statement): the caller's principals need them on nearly every request.
    include: { user: { select: { id: true, username: true, isAdmin: true, memberships: { select: { group: { select: { id: true, name: true } } } } } } },
  });
  if (!token) throw new AuthenticationError('The bearer token is not known; sign in again with the login mutation');
  if (token.revokedAt) throw new AuthenticationError('The bearer token was revoked; sign in again with the login mutation');
  if (token.expiresAt <= now) throw new AuthenticationError('The bearer token has expired; sign in again with the login mutation');
  // Recording every use would turn each read into a write; once a minute is enough to show activity.
  if (!token.lastUsedAt || now.getTime() - token.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
    await prisma.token.update({ where: { id: token.id }, data: { lastUsedAt: now } });
  }
  return {
    userId: token.user.id,
    username: token.user.username,
    isAdmin: token.user.isAdmin,
    tokenId: token.id,
    tokenExpiresAt: token.expiresAt,
    permissions: token.permissions,
    entities: token.entities,
    channels: token.channels,
    groups: token.user.memberships.map((membership) => membership.group),
  };
}
