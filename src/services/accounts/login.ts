import { AuthenticationError, ValidationError } from '../../domain/errors.js';
import { recordAudit } from '../audit.js';
import type { Actor, ServiceContext } from '../context.js';
import { dummyPasswordHash, hashPassword, needsRehash, verifyPassword } from '../passwords.js';
import { hashTokenSecret, newTokenSecret } from '../tokens.js';

export interface LoginInput {
  username: string;
  password: string;
}

export interface LoginOutcome {
  token: string;
  actor: Actor;
}

const WRONG_CREDENTIALS = 'Unknown username or wrong password';

/** What login can answer besides success (its GraphQL union lists each; test/mutation-errors.test.ts checks). */
export const loginErrors = [ValidationError, AuthenticationError] as const;

/** Checks a password and issues a full-power bearer token for the user. */
export async function login(ctx: ServiceContext, input: LoginInput): Promise<LoginOutcome> {
  if (input.username === '') throw new ValidationError('A username is required', 'username');
  const throttle = ctx.loginThrottle;
  const address = ctx.clientAddress ?? null;
  // A locked-out username or address is refused before any KDF work.
  const wait = (await throttle?.secondsToWait(input.username, address)) ?? 0;
  if (wait > 0) {
    throw new AuthenticationError(`Too many failed sign-ins for this username or from this address: try again in ${wait} s`);
  }
  const user = await ctx.prisma.user.findUnique({ where: { username: input.username } });
  // Unknown users cost the same KDF work as a wrong password.
  const passwordMatches = await verifyPassword(input.password, user?.passwordHash ?? (await dummyPasswordHash(ctx.settings.scryptCost)));
  if (!user || !passwordMatches) {
    await throttle?.recordFailure(input.username, address);
    throw new AuthenticationError(WRONG_CREDENTIALS);
  }
  await throttle?.recordSuccess(input.username);
  // Hashes made with weaker parameters than today's are replaced while the password is at hand.
  const rehashed = needsRehash(user.passwordHash, ctx.settings.scryptCost) ? await hashPassword(input.password, ctx.settings.scryptCost) : null;

  const secret = newTokenSecret();
  const now = ctx.now();
  const expiresAt = new Date(now.getTime() + ctx.settings.tokenTtlSeconds * 1000);
  const token = await ctx.prisma.$transaction(async (tx) => {
    if (rehashed) await tx.user.update({ where: { id: user.id }, data: { passwordHash: rehashed } });
    const created = await tx.token.create({
      data: { secretHash: hashTokenSecret(secret), userId: user.id, description: 'login', expiresAt, createdAt: now },
    });
    const actor = toActor(user, created);
    await recordAudit(tx, actor, { action: 'login', target: user.username }, now);
    return created;
  });
  return { token: secret, actor: toActor(user, token) };
}

function toActor(
  user: { id: number; username: string; isAdmin: boolean },
  token: { id: number; expiresAt: Date; permissions: string[]; entities: string[]; channels: string[] },
): Actor {
  return {
    userId: user.id,
    username: user.username,
    isAdmin: user.isAdmin,
    tokenId: token.id,
    tokenExpiresAt: token.expiresAt,
    permissions: token.permissions,
    entities: token.entities,
    channels: token.channels,
  };
}
