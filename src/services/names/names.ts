import { Prisma } from '../../generated/prisma/client.js';
import type { SqlExecutor } from '../../db/sql-executor.js';
import { entityNameProblem, isValidEntityName } from '../../domain/entity-url.js';
import { ValidationError } from '../../domain/errors.js';

/** A top-level name must be a well-formed entity name: `foo`, `wiki-scaler`. */
export function validateTopLevelName(name: string, field = 'name'): string {
  const trimmed = name.trim();
  if (!isValidEntityName(trimmed)) throw new ValidationError(entityNameProblem(trimmed), field);
  return trimmed;
}

/**
 * Locks the row of a top-level name, creating an unbound one first when there
 * is none, so that everything changing one name (registration, promulgation)
 * runs one at a time across requests and server processes.
 */
export async function lockTopLevelName(tx: SqlExecutor, name: string, now: Date): Promise<{ entityId: number | null; reserved: boolean; created: boolean }> {
  const inserted = await tx.query<{ name: string }>(Prisma.sql`
    INSERT INTO "TopLevelName" ("name", "reserved", "createdAt") VALUES (${name}, false, ${now})
    ON CONFLICT ("name") DO NOTHING RETURNING "name"`);
  const rows = await tx.query<{ entityId: number | null; reserved: boolean }>(Prisma.sql`
    SELECT "entityId", "reserved" FROM "TopLevelName" WHERE "name" = ${name} FOR UPDATE`);
  const row = rows[0]!;
  return { entityId: row.entityId, reserved: row.reserved, created: inserted.length > 0 };
}
