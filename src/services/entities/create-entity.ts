import { Prisma } from '../../generated/prisma/client.js';
import type { AclKind, Entity, EntityKind } from '../../generated/prisma/client.js';
import type { SqlExecutor } from '../../db/sql-executor.js';
import { RISKS, UNPUBLISHED, LATEST_TRACK } from '../../domain/channel.js';

/** Every list a new entity starts with: `unpublished` and each risk, read and write. */
export const INITIAL_ACL_CHANNELS = [UNPUBLISHED, ...RISKS] as const;

/** The ACL of a new entity: the owner alone on every list. */
export function initialAcl(ownerName: string): Array<{ channel: string; kind: AclKind; principal: string }> {
  return INITIAL_ACL_CHANNELS.flatMap((channel) => (['READ', 'WRITE'] as const).map((kind) => ({ channel, kind, principal: ownerName })));
}

/**
 * Creates an entity inside the caller's transaction: private, with the owner
 * alone on every ACL list, and the `latest` track, in one statement. Returns
 * the existing entity instead when a concurrent request created it first.
 */
/** The Entity row as the model returns it. */
const ENTITY_COLUMNS = Prisma.raw(
  '"id", "namespaceId", "name", "kind"::text AS "kind", "private", "promulgated", "defaultTrack", "trackGuardrail", "nextRevision", "createdAt", "updatedAt"',
);

export async function createEntity(
  tx: SqlExecutor,
  input: { namespaceId: number; ownerName: string; name: string; kind: EntityKind; private?: boolean; now: Date },
): Promise<{ entity: Entity; created: boolean }> {
  const acl = initialAcl(input.ownerName);
  // ON CONFLICT DO NOTHING keeps a concurrent first push from failing the transaction.
  const inserted = await tx.query<Entity>(Prisma.sql`
    WITH entity AS (
      INSERT INTO "Entity" ("namespaceId", "name", "kind", "private", "createdAt", "updatedAt")
      VALUES (${input.namespaceId}, ${input.name}, ${input.kind}::"EntityKind", ${input.private ?? true}, ${input.now}, ${input.now})
      ON CONFLICT ("namespaceId", "name") DO NOTHING
      RETURNING *
    ),
    acl AS (
      INSERT INTO "AclEntry" ("entityId", "channel", "kind", "principal", "createdAt")
      SELECT entity."id", list."channel", list."kind"::"AclKind", ${input.ownerName}, ${input.now}
      FROM entity, unnest(${acl.map((entry) => entry.channel)}::text[], ${acl.map((entry) => entry.kind)}::text[]) AS list("channel", "kind")
    ),
    track AS (
      INSERT INTO "Track" ("entityId", "name", "createdAt") SELECT entity."id", ${LATEST_TRACK}, ${input.now} FROM entity
    )
    SELECT ${ENTITY_COLUMNS} FROM entity`);
  const created = inserted[0];
  if (created === undefined) {
    const [existing] = await tx.query<Entity>(Prisma.sql`
      SELECT ${ENTITY_COLUMNS} FROM "Entity" WHERE "namespaceId" = ${input.namespaceId} AND "name" = ${input.name}`);
    if (existing === undefined) throw new Error(`The entity ${input.ownerName}/${input.name} was neither created nor found`);
    return { entity: existing, created: false };
  }
  return { entity: created, created: true };
}
