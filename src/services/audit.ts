import type { Prisma } from '../generated/prisma/client.js';
import type { Tx } from '../db/database.js';
import type { Actor } from './context.js';

export interface AuditRecord {
  action: string;
  entityId?: number | null;
  target?: string | null;
  before?: Prisma.InputJsonValue | null;
  after?: Prisma.InputJsonValue | null;
}

/** Writes one audit event inside the caller's transaction, so it commits or fails with the change. */
export async function recordAudit(tx: Tx, actor: Actor | null, record: AuditRecord, at: Date): Promise<void> {
  await tx.auditEvent.create({
    data: {
      actorId: actor?.userId ?? null,
      tokenId: actor?.tokenId ?? null,
      action: record.action,
      entityId: record.entityId ?? null,
      target: record.target ?? null,
      before: record.before ?? undefined,
      after: record.after ?? undefined,
      createdAt: at,
    },
  });
}
