import { Prisma } from '../../generated/prisma/client.js';
import type { SqlExecutor } from '../../db/sql-executor.js';
import { changeKindOf } from '../../domain/change-kind.js';
import type { EntityAuditEvent } from '../audit.js';
import type { Actor } from '../context.js';

/**
 * Records a command's change in ONE statement, inside its transaction: the
 * audit event and, when the store publishes live updates (`liveChannel`),
 * a webhook outbox row per matching webhook of the entity and the NOTIFY
 * that tells every process (PostgreSQL delivers it at commit). All of it
 * commits or rolls back with the change. Returns the audit event's id, which
 * is also the live event's and the deliveries' id.
 */
export async function recordEntityChange(
  tx: SqlExecutor,
  actor: Actor | null,
  audited: EntityAuditEvent & { entityId: number | null },
  at: Date,
  liveChannel: string | undefined,
): Promise<number> {
  const record = audited as EntityAuditEvent & { entityId: number | null; before?: unknown; after?: unknown };
  const json = (value: unknown) => (value === undefined || value === null ? null : JSON.stringify(value));
  const insertAudit = Prisma.sql`
    INSERT INTO "AuditEvent" ("actorId", "tokenId", "action", "entityId", "target", "before", "after", "createdAt")
    VALUES (${actor?.userId ?? null}::int, ${actor?.tokenId ?? null}::int, ${record.action}, ${record.entityId}::int, ${record.target},
            ${json(record.before)}::jsonb, ${json(record.after)}::jsonb, ${at})
    RETURNING "id"`;
  const kind = changeKindOf(record.action);
  if (liveChannel === undefined || !kind || record.entityId === null) {
    const rows = await tx.query<{ id: number }>(insertAudit);
    return rows[0]!.id;
  }
  const rows = await tx.query<{ id: number }>(Prisma.sql`
    WITH ${changeRecordCtes(actor, { ...record, entityId: record.entityId }, at, liveChannel, null)}
    SELECT audit."id", (SELECT count("sent") FROM notified) AS "sent" FROM audit`);
  return rows[0]!.id;
}

/**
 * The same record as CTEs (`audit`, `queued`, `notified`), to end the WITH
 * list of a command's own write statement, so that the write and its record
 * are one statement (a push, a release). With a `gate` (a CTE's name), it
 * is inserted only when that CTE has a row (a push that turns out a
 * duplicate records nothing there). The statement must read `notified` (`SELECT count("sent") FROM
 * notified`): PostgreSQL runs a SELECT in WITH only when it is read.
 */
export function changeRecordCtes(
  actor: Actor | null,
  audited: EntityAuditEvent & { entityId: number },
  at: Date,
  liveChannel: string | undefined,
  gate: Prisma.Sql | null,
): Prisma.Sql {
  const record = audited as EntityAuditEvent & { entityId: number; before?: unknown; after?: unknown };
  const json = (value: unknown) => (value === undefined || value === null ? null : JSON.stringify(value));
  const audit = Prisma.sql`audit AS (
      INSERT INTO "AuditEvent" ("actorId", "tokenId", "action", "entityId", "target", "before", "after", "createdAt")
      SELECT ${actor?.userId ?? null}::int, ${actor?.tokenId ?? null}::int, ${record.action}, ${record.entityId}::int, ${record.target},
             ${json(record.before)}::jsonb, ${json(record.after)}::jsonb, ${at}
      ${gate === null ? Prisma.empty : Prisma.sql`WHERE EXISTS (SELECT 1 FROM ${gate})`}
      RETURNING "id"
    )`;
  const kind = changeKindOf(record.action);
  if (liveChannel === undefined || !kind) return Prisma.sql`${audit}, notified AS (SELECT audit."id" AS "sent" FROM audit)`;
  const queuedAt = new Date();
  return Prisma.sql`${audit},
    queued AS (
      INSERT INTO "WebhookDelivery" ("webhookId", "eventId", "kind", "queuedAt", "nextAttemptAt")
      SELECT w."id", audit."id", ${kind}, ${queuedAt}, ${queuedAt} FROM "Webhook" w, audit
      WHERE w."entityId" = ${record.entityId}::int AND (w."events" = '{}' OR ${kind} = ANY (w."events"))
      ON CONFLICT DO NOTHING
    ),
    notified AS (SELECT pg_notify(${liveChannel}, audit."id"::text || ':' || ${String(record.entityId)}) AS "sent" FROM audit)`;
}
