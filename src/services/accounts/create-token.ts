import type { Token } from '../../generated/prisma/client.js';
import { AuthenticationError, NotFoundError, PermissionDeniedError, ValidationError } from '../../domain/errors.js';
import { parseTokenChannel, tokenChannelWithin } from '../../domain/token-scope.js';
import { recordAudit } from '../audit.js';
import { isScopedToken } from '../authorization/caller.js';
import { isPermission, PERMISSIONS, tokenPermits } from '../authorization/permissions.js';
import type { ServiceContext } from '../context.js';
import { requireEntity } from '../entities/find-entity.js';
import { hashTokenSecret, newTokenSecret } from '../tokens.js';
import { requireSignedIn } from './require.js';

export interface CreateTokenInput {
  description?: string | null;
  permissions?: readonly string[] | null;
  entities?: readonly string[] | null;
  channels?: readonly string[] | null;
  ttlSeconds?: number | null;
}

/** Like `charmcraft login --export`: 30 hours unless asked otherwise. */
export const DEFAULT_TOKEN_TTL_SECONDS = 30 * 60 * 60;
const MAX_DESCRIPTION_LENGTH = 200;
const MAX_LIMITS = 100;

/** What createToken can answer besides success (its GraphQL union lists each; test/mutation-errors.test.ts checks). */
export const createTokenErrors = [AuthenticationError, ValidationError, PermissionDeniedError, NotFoundError] as const;

/**
 * Makes a credential for CI, optionally limited to permissions, entities and
 * channels, for a limited time. It never does more than its user (the
 * authorization rules intersect the user's rights with the token's limits),
 * and a scoped token can only make narrower tokens: omitted limits are
 * inherited from it, given ones must lie within it, and the new token
 * expires no later than it.
 */
export async function createToken(ctx: ServiceContext, input: CreateTokenInput): Promise<{ secret: string; token: Token }> {
  const actor = requireSignedIn(ctx);
  const description = input.description?.trim() || null;
  if (description !== null && description.length > MAX_DESCRIPTION_LENGTH) {
    throw new ValidationError(`A description may have at most ${MAX_DESCRIPTION_LENGTH} characters`, 'description');
  }

  const permissions = distinct(input.permissions, 'permissions');
  const unknown = permissions.filter((permission) => !isPermission(permission));
  if (unknown.length > 0) {
    throw new ValidationError(`Unknown permission${unknown.length === 1 ? '' : 's'} ${unknown.map((p) => `"${p}"`).join(', ')}; use ${PERMISSIONS.join(', ')}`, 'permissions');
  }
  const broader = permissions.filter((permission) => isPermission(permission) && !tokenPermits(actor.permissions, permission));
  if (broader.length > 0) {
    throw new PermissionDeniedError(`The token in use is limited to ${actor.permissions.join(', ')}; it cannot create a token with ${broader.join(', ')}`);
  }

  const channels = distinct(input.channels, 'channels').map((channel) => parseTokenChannel(channel));
  const outside = channels.filter((channel) => !tokenChannelWithin(channel, actor.channels));
  if (outside.length > 0) {
    throw new PermissionDeniedError(`The token in use is limited to the channels ${actor.channels.join(', ')}; it cannot create a token for ${outside.join(', ')}`);
  }

  // Invisible entities are NotFoundError, like everywhere; a token limited to entities sees only those.
  const entities: string[] = [];
  for (const url of distinct(input.entities, 'entities')) {
    const { access } = await requireEntity(ctx, url, 'entities');
    if (!entities.includes(access.url)) entities.push(access.url);
  }
  // A token limited to entities may only hand on (some of) those, never others it can merely see.
  const foreign = actor.entities.length > 0 ? entities.filter((url) => !actor.entities.includes(url)) : [];
  if (foreign.length > 0) {
    throw new PermissionDeniedError(`The token in use is limited to ${actor.entities.join(', ')}; it cannot create a token for ${foreign.join(', ')}`);
  }

  const ttlSeconds = input.ttlSeconds ?? Math.min(DEFAULT_TOKEN_TTL_SECONDS, ctx.settings.maxTokenTtlSeconds);
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > ctx.settings.maxTokenTtlSeconds) {
    throw new ValidationError(`ttlSeconds must be between 1 and ${ctx.settings.maxTokenTtlSeconds} (the configured maximum)`, 'ttlSeconds');
  }
  const now = ctx.now();
  let expiresAt = new Date(now.getTime() + ttlSeconds * 1000);
  const scoped = isScopedToken(actor);
  if (scoped && actor.tokenExpiresAt < expiresAt) expiresAt = actor.tokenExpiresAt;

  const limits = {
    permissions: permissions.length > 0 ? permissions : actor.permissions,
    entities: entities.length > 0 ? entities : actor.entities,
    channels: channels.length > 0 ? channels : actor.channels,
  };
  const secret = newTokenSecret();
  const token = await ctx.prisma.$transaction(async (tx) => {
    const created = await tx.token.create({
      data: { secretHash: hashTokenSecret(secret), userId: actor.userId, description, ...limits, expiresAt, createdAt: now },
    });
    await recordAudit(tx, actor, { action: 'create-token', target: actor.username, after: { tokenId: created.id, description, ...limits, expiresAt: expiresAt.toISOString() } }, now);
    return created;
  });
  return { secret, token };
}

function distinct(values: readonly string[] | null | undefined, field: string): string[] {
  const list = [...new Set((values ?? []).map((value) => value.trim()))];
  if (list.includes('')) throw new ValidationError(`${field} may not contain an empty string`, field);
  if (list.length > MAX_LIMITS) throw new ValidationError(`At most ${MAX_LIMITS} ${field} may be given`, field);
  return list;
}
