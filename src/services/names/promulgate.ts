import { type EntityKind, Prisma } from '../../generated/prisma/client.js';
import { PermissionDeniedError } from '../../domain/errors.js';
import { requireAdmin } from '../accounts/require.js';
import { entityUrlOf } from '../authorization/entity-access.js';
import type { ServiceContext } from '../context.js';
import { requireEntity } from '../entities/find-entity.js';
import { ENTITY_COMMAND_ERRORS, runEntityCommand, targetOf } from '../pipeline/entity-command.js';
import { StaleCommandError } from '../pipeline/retry.js';
import { lockTopLevelName } from './names.js';

/** What promulgate can answer besides success. */
export const promulgateErrors = [...ENTITY_COMMAND_ERRORS, PermissionDeniedError] as const;

/**
 * Admin only (the `isAdmin` flag). Promulgating makes an entity the
 * recommended one for its name: the top-level name moves to it, away from
 * whichever entity held it (which stops being promulgated). Unpromulgating
 * only drops the recommendation: the top-level name stays bound to the
 * entity, so `cs:foo` keeps deploying what it deployed, until an admin
 * promulgates another entity of that name or the owner unregisters it.
 */
export async function promulgate(ctx: ServiceContext, input: { url: string; promulgated: boolean }): Promise<{ entityId: number }> {
  await requireAdmin(ctx, 'promulgate');
  const { access: found } = await requireEntity(ctx, input.url);
  const name = found.entity.name;
  /** The entity holding the name now, when another one: it is written too, so it is locked with the target. */
  let holderId: number | null = null;
  return runEntityCommand(ctx, {
    target: targetOf(found, input.url),
    related: async () => {
      if (!input.promulgated) return [];
      const holder = await ctx.prisma.topLevelName.findUnique({
        where: { name },
        select: { entity: { select: { id: true, name: true, namespace: { select: { name: true } } } } },
      });
      holderId = holder?.entity && holder.entity.id !== found.entity.id ? holder.entity.id : null;
      return holder?.entity && holderId !== null ? [{ id: holder.entity.id, owner: holder.entity.namespace.name, name: holder.entity.name }] : [];
    },
    execute: async ({ sql, row, access, caller, now }) => {
      if (!caller.isAdmin) throw new PermissionDeniedError('Only store administrators may promulgate');
      const entityId = row.id;
      if (!input.promulgated) {
        await sql.query(Prisma.sql`UPDATE "Entity" SET "promulgated" = false, "updatedAt" = ${now} WHERE "id" = ${entityId}::int`);
        return {
          result: { entityId },
          audit: { action: 'unpromulgate', target: access.url, before: { promulgated: row.promulgated }, after: { promulgated: false } },
          event: { kind: 'name-changed', entityId, previousHolderId: null },
        };
      }
      // Entities first, then the name (the documented lock order); the holder read before must still hold it.
      const topLevel = await lockTopLevelName(sql, name, now);
      const holderNow = topLevel.entityId !== null && topLevel.entityId !== entityId ? topLevel.entityId : null;
      if (holderNow !== holderId) throw new StaleCommandError(`the name "${name}" moved meanwhile`);
      let previousHolder: string | null = null;
      if (holderNow !== null) {
        const [previous] = await sql.query<{ name: string; kind: EntityKind; namespaceName: string }>(Prisma.sql`
          UPDATE "Entity" e SET "promulgated" = false, "updatedAt" = ${now} FROM "Namespace" n
          WHERE e."id" = ${holderNow}::int AND n."id" = e."namespaceId"
          RETURNING e."name", e."kind"::text AS "kind", n."name" AS "namespaceName"`);
        if (!previous) throw new StaleCommandError(`the entity holding the name "${name}" is gone`);
        previousHolder = entityUrlOf({ name: previous.name, kind: previous.kind, namespace: { name: previous.namespaceName } });
      }
      await sql.query(Prisma.sql`
        WITH name AS (UPDATE "TopLevelName" SET "entityId" = ${entityId}::int WHERE "name" = ${name})
        UPDATE "Entity" SET "promulgated" = true, "updatedAt" = ${now} WHERE "id" = ${entityId}::int`);
      return {
        result: { entityId },
        audit: {
          action: 'promulgate',
          target: access.url,
          before: { promulgated: row.promulgated, name, heldBy: previousHolder },
          after: { promulgated: true, name },
        },
        event: { kind: 'name-changed', entityId, previousHolderId: holderNow },
      };
    },
  });
}
