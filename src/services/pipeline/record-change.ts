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
 * is also the live event's and the deliveries' id, and how many webhook
 * deliveries it queued.
 */
export async function recordEntityChange(
  tx: SqlExecutor,
  actor: Actor | null,
  audited: EntityAuditEvent & { entityId: number | null },
  at: Date,
  liveChannel: string | undefined,
): Promise<{ id: number; webhooksQueued: number }> {
  // An event of no entity (a name's) has no subscribers or webhooks: the audit row alone.
  const channel = audited.entityId === null ? undefined : liveChannel;
  const rows = await tx.query<{ id: number; webhooksQueued: number }>(Prisma.sql`
    WITH ${changeRecordCtes(actor, audited, at, channel, null)}
    SELECT audit."id", ${RECORDED_COLUMNS} FROM audit`);
  return rows[0]!;
}

/**
 * The same record as CTEs (`audit`, `queued`, `notified`), to end the WITH
 * list of a command's own write statement, so that the write and its record
 * are one statement (a push, a release). With a `gate` (a CTE's name), it
 * is inserted only when that CTE has a row (a push that turns out a
 * duplicate records nothing there). The statement must read `notified`
 * (select RECORDED_COLUMNS): PostgreSQL runs a SELECT in WITH only when it
 * is read.
 */
export function changeRecordCtes(
  actor: Actor | null,
  audited: EntityAuditEvent & { entityId: number | null },
  at: Date,
  liveChannel: string | undefined,
  gate: Prisma.Sql | null,
): Prisma.Sql {
  const record = audited as EntityAuditEvent & { entityId: number | null; before?: unknown; after?: unknown };
  const json = (value: unknown) => (value === undefined || value === null ? null : JSON.stringify(value));
  const audit = Prisma.sql`audit AS (
      INSERT INTO "AuditEvent" ("actorId", "tokenId", "action", "entityId", "target", "before", "after", "createdAt")
      SELECT ${actor?.userId ?? null}::int, ${actor?.tokenId ?? null}::int, ${record.action}, ${record.entityId}::int, ${record.target},
             ${json(record.before)}::jsonb, ${json(record.after)}::jsonb, ${at}
      ${gate === null ? Prisma.empty : Prisma.sql`WHERE EXISTS (SELECT 1 FROM ${gate})`}
      RETURNING "id"
    )`;
  const kind = changeKindOf(record.action);
  if (liveChannel === undefined || !kind) return Prisma.sql`${audit}, notified AS (SELECT audit."id" AS "sent", 0 AS "queued" FROM audit)`;
  const queuedAt = new Date();
  return Prisma.sql`${audit},
    queued AS (
      INSERT INTO "WebhookDelivery" ("webhookId", "eventId", "kind", "queuedAt", "nextAttemptAt")
      SELECT w."id", audit."id", ${kind}, ${queuedAt}, ${queuedAt} FROM "Webhook" w, audit
      WHERE w."entityId" = ${record.entityId}::int AND (w."events" = '{}' OR ${kind} = ANY (w."events"))
      ON CONFLICT DO NOTHING
      RETURNING 1
    ),
    notified AS (
      SELECT pg_notify(${liveChannel}, audit."id"::text || ':' || ${String(record.entityId)}) AS "sent", (SELECT count(*) FROM queued) AS "queued" FROM audit
    )`;
}

/**
 * What a statement ending with changeRecordCtes selects: whether it recorded
 * the change (`recorded`, 0 or 1: it runs the NOTIFY), and how many webhook
 * deliveries it queued (`webhooksQueued`: the webhook worker is woken only
 * when there are some).
 */
export const RECORDED_COLUMNS = Prisma.sql`(SELECT count("sent") FROM notified)::int AS "recorded", COALESCE((SELECT "queued" FROM notified), 0)::int AS "webhooksQueued"`;
