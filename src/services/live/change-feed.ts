import type { Notifications, NotificationSubscription } from '../../db/notifications.js';
import type { PrismaClient, Tx } from '../../db/database.js';
import { type ChangeKind, changeKindOf, channelsOfChange, LIVE_ACTIONS } from '../../domain/change-kind.js';

/** One change of one entity, as subscribers receive it; its id is the audit event's. */
export interface EntityChangeEvent {
  eventId: number;
  kind: ChangeKind;
  entityId: number;
  at: Date;
  /** The channels a RELEASE or CLOSE named. */
  channels: string[];
}

type Listener = (event: EntityChangeEvent) => void;

/** What a subscriber listens to: some entities, or every entity (store-wide feeds). */
export type FeedScope = { entityIds: readonly number[] } | 'all';

/**
 * How far back, in audit ids, a catch-up after a reconnection looks: audit
 * ids are allocated before commit, so a transaction that allocated a smaller
 * id can commit after one with a larger id. Ids already dispatched are skipped.
 */
const CATCH_UP_LOOKBACK = 1000;
/** Most events one catch-up (or one `after` resume) reads. */
export const MAX_CATCH_UP_EVENTS = 1000;

const auditSelect = { id: true, action: true, entityId: true, createdAt: true, after: true } as const;
type AuditRow = { id: number; action: string; entityId: number | null; createdAt: Date; after: unknown };

function toEvent(row: AuditRow): EntityChangeEvent | null {
  const kind = changeKindOf(row.action);
  if (!kind || row.entityId === null) return null;
  return { eventId: row.id, kind, entityId: row.entityId, at: row.createdAt, channels: channelsOfChange(row.action, row.after) };
}

/**
 * A change notification's payload is `<eventId>:<entityId>`, ids only (NOTIFY
 * payloads are limited to 8000 bytes); the pipeline writes it in SQL
 * (pipeline/record-change.ts).
 */
function parsePayload(payload: string): { eventId: number; entityId: number } | null {
  const match = /^(\d+):(\d+)$/.exec(payload);
  return match ? { eventId: Number(match[1]), entityId: Number(match[2]) } : null;
}

/** The changes of some entities (or all) after an event id, from the audit log, oldest first. */
export async function changesAfter(prisma: PrismaClient, scope: FeedScope, after: number, limit = MAX_CATCH_UP_EVENTS): Promise<EntityChangeEvent[]> {
  const rows = await prisma.auditEvent.findMany({
    where: {
      id: { gt: after },
      action: { in: [...LIVE_ACTIONS] },
      entityId: scope === 'all' ? { not: null } : { in: [...scope.entityIds] },
    },
    orderBy: { id: 'asc' },
    take: limit,
    select: auditSelect,
  });
  return rows.map(toEvent).filter((event): event is EntityChangeEvent => event !== null);
}

/**
 * The process's one listener of committed changes: one LISTEN connection
 * (started with the first subscriber), fanned out in process to every
 * subscriber of the entity. Each notification is read once per process
 * (one audit row), whatever the number of subscribers.
 */
export class ChangeFeed {
  private readonly byEntity = new Map<number, Set<Listener>>();
  private readonly everything = new Set<Listener>();
  private starting: Promise<NotificationSubscription> | null = null;
  /** The highest event id this process has dispatched or seen notified. */
  private highestSeen = 0;
  /** Recently dispatched ids, so a catch-up does not repeat them. */
  private readonly dispatched = new Set<number>();
  /** Dispatches in arrival order, one at a time. */
  private chain: Promise<void> = Promise.resolve();
  private connections = 0;

  constructor(
    readonly prisma: PrismaClient,
    private readonly notifications: Notifications,
    private readonly logger: { warn(obj: unknown, msg?: string): void; error(obj: unknown, msg?: string): void },
  ) {}

  get channel(): string {
    return this.notifications.channel;
  }

  /** How many times the listening connection has connected (1 + reconnections); for tests and metrics. */
  get connectionCount(): number {
    return this.connections;
  }

  /** Listeners registered now (each subscription counts once per entity it follows). */
  get listenerCount(): number {
    let count = this.everything.size;
    for (const set of this.byEntity.values()) count += set.size;
    return count;
  }

  async listeningBackendPid(): Promise<number | null> {
    return this.starting ? (await this.starting).backendPid() : null;
  }

  /** Registers a listener; resolves once the process is listening, so nothing committed after it is missed. */
  async subscribe(scope: FeedScope, listener: Listener): Promise<() => void> {
    if (scope === 'all') this.everything.add(listener);
    else {
      for (const id of scope.entityIds) {
        let set = this.byEntity.get(id);
        if (!set) this.byEntity.set(id, (set = new Set()));
        set.add(listener);
      }
    }
    const unsubscribe = () => {
      if (scope === 'all') this.everything.delete(listener);
      else {
        for (const id of scope.entityIds) {
          const set = this.byEntity.get(id);
          set?.delete(listener);
          if (set?.size === 0) this.byEntity.delete(id);
        }
      }
    };
    try {
      await this.start();
    } catch (error) {
      unsubscribe();
      throw error;
    }
    return unsubscribe;
  }

  async stop(): Promise<void> {
    const starting = this.starting;
    this.starting = null;
    if (starting) await (await starting).stop();
  }

  private start(): Promise<NotificationSubscription> {
    if (!this.starting) {
      this.starting = this.notifications.listen({
        onMessage: (payload) => this.enqueue(() => this.onNotification(payload)),
        onConnected: () => this.enqueue(() => this.onConnected()),
      });
      this.starting.catch(() => (this.starting = null));
    }
    return this.starting;
  }

  private enqueue(work: () => Promise<void>): void {
    this.chain = this.chain.then(work).catch((error: unknown) => this.logger.error({ err: error }, 'live updates: dispatching a change failed'));
  }

  private async onConnected(): Promise<void> {
    this.connections++;
    if (this.connections === 1) {
      // First connection: start from now, not from the beginning of history.
      const last = await this.prisma.auditEvent.findFirst({ orderBy: { id: 'desc' }, select: { id: true } });
      this.highestSeen = Math.max(this.highestSeen, last?.id ?? 0);
      return;
    }
    // Reconnected: whatever committed while the connection was down was not notified; read it from the audit log.
    this.logger.warn({ after: this.highestSeen }, 'live updates: listening connection re-established; catching up from the audit log');
    const missed = await changesAfter(this.prisma, 'all', Math.max(0, this.highestSeen - CATCH_UP_LOOKBACK), MAX_CATCH_UP_EVENTS * 10);
    for (const event of missed) this.dispatch(event);
  }

  private async onNotification(payload: string): Promise<void> {
    const ids = parsePayload(payload);
    if (!ids || this.dispatched.has(ids.eventId)) return;
    this.highestSeen = Math.max(this.highestSeen, ids.eventId);
    if (this.everything.size === 0 && !this.byEntity.has(ids.entityId)) {
      this.remember(ids.eventId);
      return;
    }
    const row = await this.prisma.auditEvent.findUnique({ where: { id: ids.eventId }, select: auditSelect });
    const event = row ? toEvent(row) : null;
    if (event) this.dispatch(event);
  }

  private dispatch(event: EntityChangeEvent): void {
    if (this.dispatched.has(event.eventId)) return;
    this.remember(event.eventId);
    this.highestSeen = Math.max(this.highestSeen, event.eventId);
    for (const listener of this.byEntity.get(event.entityId) ?? []) listener(event);
    for (const listener of this.everything) listener(event);
  }

  private remember(eventId: number): void {
    this.dispatched.add(eventId);
    // Bounded: ids far below the highest can no longer come back through a catch-up.
    if (this.dispatched.size > CATCH_UP_LOOKBACK * 2) {
      for (const id of this.dispatched) {
        if (id <= this.highestSeen - CATCH_UP_LOOKBACK) this.dispatched.delete(id);
      }
    }
  }
}
