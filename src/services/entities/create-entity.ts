import type { Entity, EntityKind } from '../../generated/prisma/client.js';
import type { Tx } from '../../db/database.js';
import { RISKS, UNPUBLISHED, LATEST_TRACK } from '../../domain/channel.js';

/** Every list a new entity starts with: `unpublished` and each risk, read and write. */
export const INITIAL_ACL_CHANNELS = [UNPUBLISHED, ...RISKS] as const;

/**
 * Creates an entity inside the caller's transaction: private, with the owner
 * alone on every ACL list, and the `latest` track. Returns the existing
 * entity instead when a concurrent request created it first.
 */
export async function createEntity(
  tx: Tx,
  input: { namespaceId: number; ownerName: string; name: string; kind: EntityKind; private?: boolean; now: Date },
): Promise<{ entity: Entity; created: boolean }> {
  // ON CONFLICT DO NOTHING keeps a concurrent first push from failing the transaction.
  const inserted = await tx.$queryRaw<Array<{ id: number }>>`
    INSERT INTO "Entity" ("namespaceId", "name", "kind", "private", "createdAt", "updatedAt")
    VALUES (${input.namespaceId}, ${input.name}, ${input.kind}::"EntityKind", ${input.private ?? true}, ${input.now}, ${input.now})
    ON CONFLICT ("namespaceId", "name") DO NOTHING
    RETURNING "id"`;
  const createdId = inserted[0]?.id;
  if (createdId === undefined) {
    const existing = await tx.entity.findUniqueOrThrow({ where: { namespaceId_name: { namespaceId: input.namespaceId, name: input.name } } });
    return { entity: existing, created: false };
  }
  await tx.aclEntry.createMany({
    data: INITIAL_ACL_CHANNELS.flatMap((channel) =>
      (['READ', 'WRITE'] as const).map((kind) => ({ entityId: createdId, channel, kind, principal: input.ownerName, createdAt: input.now })),
    ),
  });
  await tx.track.create({ data: { entityId: createdId, name: LATEST_TRACK, createdAt: input.now } });
  return { entity: await tx.entity.findUniqueOrThrow({ where: { id: createdId } }), created: true };
}
