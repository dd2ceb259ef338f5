import type { User } from '../../generated/prisma/client.js';
import { AuthenticationError, ConflictError, PermissionDeniedError, ValidationError } from '../../domain/errors.js';
import { validateNewAccountName, validatePassword } from '../../domain/names.js';
import { recordAudit } from '../audit.js';
import type { ServiceContext } from '../context.js';
import { hashPassword } from '../passwords.js';
import { isUniqueViolation } from '../prisma-errors.js';
import { refuseLookAlike } from './look-alike.js';
import { requireAdmin } from './require.js';

export interface CreateUserInput {
  username: string;
  password: string;
  displayName?: string | null;
  isAdmin?: boolean | null;
}

/** What createUser can answer besides success (its GraphQL union lists each; test/mutation-errors.test.ts checks). */
export const createUserErrors = [AuthenticationError, PermissionDeniedError, ValidationError, ConflictError] as const;

/** Admin only: adds a user account; the name also claims the `~username` namespace. */
export async function createUser(ctx: ServiceContext, input: CreateUserInput): Promise<User> {
  const actor = await requireAdmin(ctx, 'create users');
  const username = validateNewAccountName(input.username, 'username', 'user');
  validatePassword(input.password);
  const displayName = input.displayName?.trim() || null;
  if (displayName !== null && displayName.length > 200) {
    throw new ValidationError('A display name may have at most 200 characters', 'displayName');
  }
  await refuseLookAlike(ctx.prisma, username);
  const passwordHash = await hashPassword(input.password, ctx.settings.scryptCost);
  const now = ctx.now();
  try {
    return await ctx.prisma.$transaction(async (tx) => {
      const user = await tx.user.create({
        data: { username, displayName, passwordHash, isAdmin: input.isAdmin ?? false, createdAt: now, namespace: { create: { name: username } } },
      });
      await recordAudit(tx, actor, { action: 'create-user', target: username, after: { username, isAdmin: user.isAdmin } }, now);
      return user;
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw new ConflictError(`The name "${username}" is already taken by a user or group`);
    throw error;
  }
}
