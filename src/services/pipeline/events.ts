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

/** What the pipeline knows of the transaction that committed an event. */
export interface CommitFacts {
  /** It queued webhook deliveries (outbox rows), which the webhook worker may send now. */
  webhooksQueued: boolean;
}

/**
 * Receives the events of committed writes. Publishing never undoes or fails
 * a write: the write pipeline logs a publisher's error and acknowledges the
 * write anyway.
 */
export interface DomainEventPublisher {
  publish(event: DomainEvent, commit?: CommitFacts): void | Promise<void>;
  /**
   * When set, every entity command's transaction also queues the change's
   * webhook deliveries (outbox rows) and NOTIFYs this channel (PostgreSQL
   * delivers it at commit), in the statement that records its audit event
   * (pipeline/record-change.ts): they commit or roll back with the change.
   */
  readonly liveChannel?: string;
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
