import { prismaExecutor } from '../../db/sql-executor.js';
import { AuthenticationError, NotFoundError, PermissionDeniedError, ValidationError } from '../../domain/errors.js';
import { requireAdmin } from '../accounts/require.js';
import { recordAudit } from '../audit.js';
import type { ServiceContext } from '../context.js';
import { lockTopLevelName, validateTopLevelName } from './names.js';

/** What reserveName can answer besides success (its GraphQL union lists each; test/mutation-errors.test.ts checks). */
export const reserveNameErrors = [AuthenticationError, PermissionDeniedError, ValidationError] as const;

/**
 * Admin only: puts a name on the reserved list, so that only admins may
 * register it. A name already registered keeps its entity and returns to
 * the reserved list if it is ever unregistered.
 */
export async function reserveName(ctx: ServiceContext, input: { name: string }): Promise<{ name: string }> {
  const actor = await requireAdmin(ctx, 'reserve names');
  const name = validateTopLevelName(input.name);
  const now = ctx.now();
  await ctx.prisma.$transaction(async (tx) => {
    const before = await lockTopLevelName(prismaExecutor(tx), name, now);
    await tx.topLevelName.update({ where: { name }, data: { reserved: true } });
    await recordAudit(tx, actor, { action: 'reserve-name', entityId: before.entityId, target: name, before: { reserved: before.reserved }, after: { reserved: true } }, now);
  });
  return { name };
}

/** What unreserveName can answer besides success. */
export const unreserveNameErrors = [...reserveNameErrors, NotFoundError] as const;

/** Admin only: takes a name off the reserved list (an unbound name is then free for anyone). */
export async function unreserveName(ctx: ServiceContext, input: { name: string }): Promise<{ name: string }> {
  const actor = await requireAdmin(ctx, 'unreserve names');
  const name = validateTopLevelName(input.name);
  const now = ctx.now();
  await ctx.prisma.$transaction(async (tx) => {
    const rows = await tx.$queryRaw<Array<{ entityId: number | null; reserved: boolean }>>`
      SELECT "entityId", "reserved" FROM "TopLevelName" WHERE "name" = ${name} FOR UPDATE`;
    const row = rows[0];
    if (!row?.reserved) throw new NotFoundError(`"${name}" is not a reserved name`);
    if (row.entityId === null) await tx.topLevelName.delete({ where: { name } });
    else await tx.topLevelName.update({ where: { name }, data: { reserved: false } });
    await recordAudit(tx, actor, { action: 'unreserve-name', entityId: row.entityId, target: name, before: { reserved: true }, after: { reserved: false } }, now);
  });
  return { name };
}
