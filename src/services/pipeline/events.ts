import type { Tx } from '../../db/database.js';

/**
 * What a committed write changed, said small: the kind and ids, never the
 * data (a subscriber reads what it needs). Handed to the publisher after the
 * commit; a later live-updates change fans these out to other processes
 * (LISTEN/NOTIFY payloads are small), so keep them to ids.
 */
export type DomainEvent =
  | { kind: 'revision-pushed'; entityId: number; revisionId: number; created: boolean }
  | { kind: 'resource-pushed'; entityId: number; resourceRevisionId: number }
  | { kind: 'channels-released'; entityId: number; releaseIds: number[] }
  | { kind: 'channels-closed'; entityId: number; releaseIds: number[] }
  | { kind: 'tracks-changed'; entityId: number }
  | { kind: 'acl-changed'; entityId: number }
  | { kind: 'visibility-changed'; entityId: number }
  | { kind: 'name-changed'; entityId: number; previousHolderId: number | null }
  | { kind: 'entity-created'; entityId: number }
  | { kind: 'entity-deleted'; entityId: number };

export type DomainEventKind = DomainEvent['kind'];

/** A change as its audit event recorded it, inside the command's transaction. */
export interface RecordedChange {
  /** The audit event's id: also the id of the live event and of webhook deliveries. */
  eventId: number;
  entityId: number | null;
  /** The audit action (`release`, `push`, ...). */
  action: string;
}

/**
 * Receives the events of committed writes. Publishing never undoes or fails
 * a write: the write pipeline logs a publisher's error and acknowledges the
 * write anyway.
 */
export interface DomainEventPublisher {
  publish(event: DomainEvent): void | Promise<void>;
  /**
   * Called inside the command's transaction, after its audit event: writes
   * that must commit or roll back with the change (a webhook outbox row, a
   * NOTIFY, which PostgreSQL delivers at commit). A failure here fails the write.
   */
  recordInTransaction?(tx: Tx, change: RecordedChange): Promise<void>;
}

/** The in-process publisher: calls each subscriber in turn. */
export class InProcessEventBus implements DomainEventPublisher {
  private readonly listeners = new Set<(event: DomainEvent) => void | Promise<void>>();

  subscribe(listener: (event: DomainEvent) => void | Promise<void>): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  async publish(event: DomainEvent): Promise<void> {
    for (const listener of this.listeners) await listener(event);
  }
}
