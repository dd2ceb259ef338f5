import type { Database } from '../../db/database.js';
import type { CommitFacts, DomainEvent, DomainEventPublisher } from '../pipeline/events.js';
import { ChangeFeed } from './change-feed.js';
import { type WebhookDeliverySettings, WebhookWorker } from './webhook-worker.js';

export interface LiveSettings {
  /** How often a subscription checks its token again when no event arrives (a revoked or expired token ends it). */
  authRecheckMs: number;
  /** Send webhook deliveries from this process (every server process does; absent: deliveries wait in the outbox). */
  webhookDelivery?: WebhookDeliverySettings;
}

export const DEFAULT_LIVE_SETTINGS: LiveSettings = { authRecheckMs: 30_000 };

type Log = { warn(obj: unknown, msg?: string): void; error(obj: unknown, msg?: string): void };

/**
 * Live updates of one process: the change feed subscribers listen to, and
 * the pipeline hook that makes each committed change known to every process
 * (NOTIFY, written in the change's transaction).
 */
export class LiveUpdates {
  readonly feed: ChangeFeed;
  readonly webhooks: WebhookWorker | null;

  constructor(
    db: Database,
    readonly settings: LiveSettings,
    logger: Log,
  ) {
    this.feed = new ChangeFeed(db.prisma, db.notifications, logger);
    this.webhooks = settings.webhookDelivery ? new WebhookWorker(db.prisma, settings.webhookDelivery, logger) : null;
    this.webhooks?.start();
  }

  /** Wraps the app's publisher: its events still go to it, and each change is recorded for live delivery. */
  publisher(inner: DomainEventPublisher): DomainEventPublisher {
    const channel = this.feed.channel;
    const webhooks = this.webhooks;
    return {
      publish: async (event: DomainEvent, commit?: CommitFacts) => {
        // Deliveries this write queued go out now rather than at the next poll;
        // a write that queued none (the usual case) does not wake the worker.
        if (commit?.webhooksQueued ?? true) webhooks?.kick();
        await inner.publish(event);
      },
      // The pipeline queues webhook deliveries and NOTIFYs this channel with each change's audit event.
      liveChannel: channel,
    };
  }

  async close(): Promise<void> {
    await this.webhooks?.stop();
    await this.feed.stop();
  }
}
