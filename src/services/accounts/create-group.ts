import type { Group } from '../../generated/prisma/client.js';
import { AuthenticationError, ConflictError, PermissionDeniedError, ValidationError } from '../../domain/errors.js';
import { validateNewAccountName } from '../../domain/names.js';
import { recordAudit } from '../audit.js';
import type { ServiceContext } from '../context.js';
import { isUniqueViolation } from '../prisma-errors.js';
import { refuseLookAlike } from './look-alike.js';
import { requireAdmin } from './require.js';

/** What createGroup can answer besides success (its GraphQL union lists each; test/mutation-errors.test.ts checks). */
export const createGroupErrors = [AuthenticationError, PermissionDeniedError, ValidationError, ConflictError] as const;

/** Admin only: adds a group; users and groups share the `~name` namespace. */
export async function createGroup(ctx: ServiceContext, input: { name: string }): Promise<Group> {
  const actor = await requireAdmin(ctx, 'create groups');
  const name = validateNewAccountName(input.name, 'name', 'group');
  await refuseLookAlike(ctx.prisma, name);
  const now = ctx.now();
  try {
    return await ctx.prisma.$transaction(async (tx) => {
      const group = await tx.group.create({ data: { name, createdAt: now, namespace: { create: { name } } } });
      await recordAudit(tx, actor, { action: 'create-group', target: name, after: { name } }, now);
      return group;
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw new ConflictError(`The name "${name}" is already taken by a user or group`);
    throw error;
  }
}
