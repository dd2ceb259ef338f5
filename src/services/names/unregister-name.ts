import { Prisma } from '../../generated/prisma/client.js';
import { ConflictError, NotFoundError, PermissionDeniedError } from '../../domain/errors.js';
import { requireSignedIn } from '../accounts/require.js';
import type { ServiceContext } from '../context.js';
import { findEntity } from '../entities/find-entity.js';
import { ENTITY_COMMAND_ERRORS, runEntityCommand, targetOf } from '../pipeline/entity-command.js';
import { lockTopLevelName, validateTopLevelName } from './names.js';

/** What unregisterName can answer besides success. */
export const unregisterNameErrors = [...ENTITY_COMMAND_ERRORS, PermissionDeniedError, ConflictError] as const;

/**
 * Gives a registered name back: deletes the entity holding it, which must
 * have no revisions (push takes the same entity row lock, so none can
 * arrive in between). A reserved name goes back to being reserved.
 */
export async function unregisterName(ctx: ServiceContext, input: { name: string }): Promise<{ name: string }> {
  requireSignedIn(ctx);
  const name = validateTopLevelName(input.name);
  const found = await findEntity(ctx, { name });
  if (!found) throw new NotFoundError(`No registered name "${name}" (or you may not see it)`);
  const denied = (url: string) => new PermissionDeniedError(`Only the owners of ${url} and store administrators may unregister "${name}"`);
  if (!found.canManage('account-register-package')) throw denied(found.url);
  return runEntityCommand(ctx, {
    target: targetOf(found, name),
    execute: async ({ sql, row, access, now }) => {
      if (!access.canManage('account-register-package')) throw denied(access.url);
      const entityId = row.id;
      // The entity first, then the name: the documented lock order (pipeline/entity-command.ts).
      const topLevel = await lockTopLevelName(sql, name, now);
      if (topLevel.entityId !== entityId) throw new ConflictError(`The name "${name}" moved to another entity meanwhile; try again`);
      const [counted] = await sql.query<{ revisions: number }>(Prisma.sql`SELECT count(*)::int AS "revisions" FROM "Revision" WHERE "entityId" = ${entityId}::int`);
      const revisions = counted?.revisions ?? 0;
      if (revisions > 0) {
        throw new ConflictError(`${access.url} has ${revisions} revision${revisions === 1 ? '' : 's'}; only a name whose entity has none can be unregistered`);
      }
      // The name (kept while reserved) and the entity, whose rows go with it (ON DELETE CASCADE): one statement.
      await sql.query(Prisma.sql`
        WITH name AS (
          ${topLevel.reserved ? Prisma.sql`UPDATE "TopLevelName" SET "entityId" = NULL WHERE "name" = ${name}` : Prisma.sql`DELETE FROM "TopLevelName" WHERE "name" = ${name}`}
        )
        DELETE FROM "Entity" WHERE "id" = ${entityId}::int`);
      return {
        result: { name },
        audit: { action: 'unregister-name', entityId: null, target: name, before: { url: access.url } },
        event: { kind: 'entity-deleted', entityId },
      };
    },
  });
}
