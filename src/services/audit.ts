import type { Prisma } from '../generated/prisma/client.js';
import type { Tx } from '../db/database.js';
import type { Actor } from './context.js';

type Json = Prisma.InputJsonValue;
type Principals = string[];

/**
 * What each audit event of an entity records, by action. The set is closed:
 * an action is added here, with the shape of its `before` and `after`, or it
 * cannot be recorded. The stored `action` strings are part of the API (the
 * audit log shows them), so they never change.
 */
interface EntityAuditPayloads {
  push: { after: { revision: number; sha384: string; size: number; createdEntity: boolean } };
  'push-duplicate': { after: { revision: number; sha384: string } };
  'push-resource': { after: { revision: number; sha384: string; size: number } };
  'set-resource-architectures': { before: { architectures: string[] }; after: { architectures: string[] } };
  'push-resource-duplicate': { after: { revision: number; sha384: string } };
  /** `progressive`: the percentage of a progressive release. */
  release: { after: { channels: string[]; resources: Array<{ name: string; revision: number }>; progressive?: number } };
  /** A rollout raised (or lowered) to `percentage`, completed (100), or cancelled (`percentage` null). */
  'update-progressive': { after: { channels: string[]; percentage: number | null; cancelled: boolean } };
  /** `from` is the channel whose release was copied (after fall-back). */
  promote: {
    after: {
      from: string;
      channels: string[];
      /** The pins of the entry clients naming no base get. */
      resources: Array<{ name: string; revision: number }>;
      /** One per release entry written in each target: the revision, where it came from, the platforms and pins. */
      entries: Array<{ revision: number; from: string; bases: Array<{ name: string; channel: string; architectures: string[] }>; resources: Array<{ name: string; revision: number }> }>;
    };
  };
  'close-channels': { after: { closed: string[] } };
  'create-track': { after: { track: string } };
  'set-default-track': { before: { defaultTrack: string }; after: { defaultTrack: string } };
  'set-track-guardrail': { before: { trackGuardrail: string | null }; after: { trackGuardrail: string | null } };
  grant: { before: { channel: string; acl: string; principals: Principals }; after: { channel: string; acl: string; principals: Principals } };
  revoke: { before: { channel: string } & Record<string, Json>; after: { channel: string } & Record<string, Json> };
  'set-acl': { before: { channel: string; acl: string; principals: Principals }; after: { channel: string; acl: string; principals: Principals } };
  'set-private': { before: { private: boolean }; after: { private: boolean } };
  promulgate: { before: { promulgated: boolean; name: string; heldBy: string | null }; after: { promulgated: true; name: string } };
  unpromulgate: { before: { promulgated: boolean }; after: { promulgated: false } };
  /** The entity is deleted with it, so the event keeps no entity id. */
  'unregister-name': { before: { url: string } };
  'register-name': { after: { url: string; kind: string; private: boolean } };
}

/** An audit event of one entity: the action and its payload; the write pipeline adds who, when and which entity. */
export type EntityAuditEvent = {
  [A in keyof EntityAuditPayloads]: { action: A; target: string } & EntityAuditPayloads[A];
}[keyof EntityAuditPayloads];

/** Audit actions of accounts, tokens, names and uploads (not about one entity's content). */
export type AccountAuditAction =
  | 'bootstrap-admin'
  | 'create-user'
  | 'login'
  | 'logout'
  | 'logout-all'
  | 'create-token'
  | 'revoke-token'
  | 'create-group'
  | 'add-group-member'
  | 'remove-group-member'
  | 'reserve-name'
  | 'unreserve-name'
  | 'upload';

export interface AccountAuditRecord {
  action: AccountAuditAction;
  entityId?: number | null;
  target?: string | null;
  before?: Json | null;
  after?: Json | null;
}

export type AuditRecord = AccountAuditRecord | (EntityAuditEvent & { entityId?: number | null });

/** Writes one audit event inside the caller's transaction, so it commits or fails with the change; returns its id. */
export async function recordAudit(tx: Tx, actor: Actor | null, audited: AuditRecord, at: Date): Promise<number> {
  const record = audited as AccountAuditRecord;
  const { id } = await tx.auditEvent.create({
    select: { id: true },
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
  return id;
}
