import { Prisma } from '../../generated/prisma/client.js';
import { PermissionDeniedError } from '../../domain/errors.js';
import { requireSignedIn } from '../accounts/require.js';
import type { ServiceContext } from '../context.js';
import { requireEntity } from '../entities/find-entity.js';
import { ENTITY_COMMAND_ERRORS, runEntityCommand, targetOf } from '../pipeline/entity-command.js';
import { requireManageAcl } from './acl-lists.js';

/** What setPrivate can answer besides success. */
export const setPrivateErrors = [...ENTITY_COMMAND_ERRORS, PermissionDeniedError] as const;

/**
 * `private: false` lets everyone read every released channel (the
 * authorization rules read the flag); `private: true` takes that away again.
 * Explicit grants, `everyone` ones included, are left as they are.
 */
export async function setPrivate(ctx: ServiceContext, input: { url: string; private: boolean }): Promise<{ entityId: number }> {
  requireSignedIn(ctx);
  const { access: found } = await requireEntity(ctx, input.url);
  requireManageAcl(found);
  return runEntityCommand(ctx, {
    target: targetOf(found, input.url),
    execute: async ({ sql, row, access, now }) => {
      requireManageAcl(access);
      await sql.query(Prisma.sql`UPDATE "Entity" SET "private" = ${input.private}, "updatedAt" = ${now} WHERE "id" = ${row.id}::int`);
      return {
        result: { entityId: row.id },
        audit: { action: 'set-private', target: access.url, before: { private: row.private }, after: { private: input.private } },
        event: { kind: 'visibility-changed', entityId: row.id },
      };
    },
  });
}
