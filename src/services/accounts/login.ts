import { AuthenticationError, ValidationError } from '../../domain/errors.js';
import { recordAudit } from '../audit.js';
import type { Actor, ServiceContext } from '../context.js';
import { dummyPasswordHash, verifyPassword } from '../passwords.js';
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
  const user = await ctx.prisma.user.findUnique({ where: { username: input.username } });
  // Unknown users cost the same KDF work as a wrong password.
  const passwordMatches = await verifyPassword(input.password, user?.passwordHash ?? (await dummyPasswordHash(ctx.settings.scryptCost)));
  if (!user || !passwordMatches) throw new AuthenticationError(WRONG_CREDENTIALS);

  const secret = newTokenSecret();
  const now = ctx.now();
  const expiresAt = new Date(now.getTime() + ctx.settings.tokenTtlSeconds * 1000);
  const token = await ctx.prisma.$transaction(async (tx) => {
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
