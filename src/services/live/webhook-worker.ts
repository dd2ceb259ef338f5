import { createHmac, randomUUID } from 'node:crypto';
import type { PrismaClient } from '../../db/database.js';
import { entityUrlOf } from '../authorization/entity-access.js';
import type { WebhookTargetPolicy } from '../../domain/webhook-target.js';
import { channelsOfChange } from '../../domain/change-kind.js';
import { checkWebhookTarget } from './webhook-target.js';

export interface WebhookDeliverySettings extends WebhookTargetPolicy {
  /** The first retry waits this long; each further one doubles (with jitter), up to an hour. */
  retryBaseMs: number;
  /** Retries stop this long after the change was queued; the delivery is then FAILED. */
  retryForMs: number;
  /** One attempt's time limit. */
  timeoutMs: number;
  /** How often the worker looks for due deliveries. */
  pollMs: number;
}

const BATCH = 10;
const MAX_BACKOFF_MS = 3600_000;

/** The signature header: `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`. */
export function signatureHeader(secret: string, body: string, unixSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
  return `t=${unixSeconds},v1=${mac}`;
}

interface Claimed {
  id: number;
  webhookId: number;
  eventId: number;
  kind: string;
  attempts: number;
  queuedAt: Date;
}

type Log = { warn(obj: unknown, msg?: string): void; error(obj: unknown, msg?: string): void };

/**
 * Sends webhook deliveries from the outbox. Every process runs one; a
 * delivery is claimed with `FOR UPDATE SKIP LOCKED` and leased (its next
 * attempt pushed past the attempt's time limit) in a short transaction, so
 * no connection is held during the HTTP request and a process that dies
 * mid-delivery leaves it to another once the lease ends. A delivery is
 * therefore sent at least once; receivers deduplicate by the
 * `X-Charmstore-Delivery` header (a process dying after the receiver
 * answered, before the result is recorded, makes the one duplicate).
 */
export class WebhookWorker {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  /** Identifies this process's leases in the logs. */
  readonly workerId = randomUUID();
  /** Told the outcome of each delivery attempt (the /metrics counter). */
  onAttempt: (outcome: 'delivered' | 'retry' | 'failed') => void = () => undefined;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly settings: WebhookDeliverySettings,
    private readonly logger: Log,
    private readonly now: () => Date = () => new Date(),
  ) {}

  start(): void {
    this.timer = setInterval(() => this.kick(), this.settings.pollMs);
    this.timer.unref();
    this.kick();
  }

  /** Looks for due deliveries now (after a local commit that queued some). */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.drain()
      .catch((error: unknown) => this.logger.error({ err: error }, 'webhooks: delivery round failed'))
      .finally(() => {
        this.running = null;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  private async drain(): Promise<void> {
    for (;;) {
      if (this.stopped) return;
      const claimed = await this.claim();
      if (claimed.length === 0) return;
      await Promise.all(claimed.map((delivery) => this.attempt(delivery)));
    }
  }

  private async claim(): Promise<Claimed[]> {
    const now = this.now();
    const lease = new Date(now.getTime() + this.settings.timeoutMs + 5000);
    return this.prisma.$transaction(async (tx) => {
      const due = await tx.$queryRaw<Claimed[]>`
        SELECT "id", "webhookId", "eventId", "kind", "attempts", "queuedAt" FROM "WebhookDelivery"
        WHERE "status" = 'PENDING' AND "nextAttemptAt" <= ${now}
        ORDER BY "id" LIMIT ${BATCH} FOR UPDATE SKIP LOCKED`;
      if (due.length > 0) {
        await tx.webhookDelivery.updateMany({ where: { id: { in: due.map((row) => row.id) } }, data: { nextAttemptAt: lease, attempts: { increment: 1 } } });
      }
      return due.map((row) => ({ ...row, attempts: row.attempts + 1 }));
    });
  }

  private async attempt(delivery: Claimed): Promise<void> {
    const webhook = await this.prisma.webhook.findUnique({
      where: { id: delivery.webhookId },
      select: { target: true, secret: true, entity: { select: { name: true, kind: true, namespace: { select: { name: true } } } } },
    });
    if (!webhook) return; // deleted meanwhile: its deliveries went with it
    const audit = await this.prisma.auditEvent.findUnique({ where: { id: delivery.eventId }, select: { action: true, after: true, createdAt: true } });
    const body = JSON.stringify({
      deliveryId: String(delivery.id),
      webhookId: String(delivery.webhookId),
      eventId: String(delivery.eventId),
      kind: delivery.kind,
      at: audit?.createdAt.toISOString() ?? null,
      url: entityUrlOf(webhook.entity),
      channels: audit ? channelsOfChange(audit.action, audit.after) : [],
    });
    let statusCode: number | null = null;
    let problem: string | null = null;
    try {
      const target = await checkWebhookTarget(webhook.target, this.settings);
      const response = await fetch(target, {
        method: 'POST',
        redirect: 'manual', // a redirect could lead past the address checks
        signal: AbortSignal.timeout(this.settings.timeoutMs),
        headers: {
          'content-type': 'application/json',
          'user-agent': 'charmstore-webhooks',
          'x-charmstore-event': delivery.kind,
          'x-charmstore-event-id': String(delivery.eventId),
          'x-charmstore-delivery': String(delivery.id),
          'x-charmstore-signature': signatureHeader(webhook.secret, body, Math.floor(this.now().getTime() / 1000)),
        },
        body,
      });
      statusCode = response.status;
      await response.body?.cancel().catch(() => undefined);
      if (response.status < 200 || response.status >= 300) problem = `the receiver answered HTTP ${response.status}`;
    } catch (error) {
      problem = error instanceof Error ? (error.name === 'TimeoutError' ? `no answer within ${this.settings.timeoutMs} ms` : error.message) : String(error);
    }
    await this.record(delivery, statusCode, problem);
  }

  private async record(delivery: Claimed, statusCode: number | null, problem: string | null): Promise<void> {
    const now = this.now();
    if (problem === null) {
      await this.prisma.webhookDelivery.update({
        where: { id: delivery.id },
        data: { status: 'DELIVERED', deliveredAt: now, lastStatusCode: statusCode, lastError: null },
      });
      this.onAttempt('delivered');
      return;
    }
    const backoff = Math.min(MAX_BACKOFF_MS, this.settings.retryBaseMs * 2 ** (delivery.attempts - 1));
    const next = new Date(now.getTime() + backoff / 2 + Math.random() * (backoff / 2));
    const givingUp = next.getTime() > delivery.queuedAt.getTime() + this.settings.retryForMs;
    await this.prisma.webhookDelivery.update({
      where: { id: delivery.id },
      data: { status: givingUp ? 'FAILED' : 'PENDING', nextAttemptAt: next, lastStatusCode: statusCode, lastError: problem.slice(0, 500) },
    });
    this.onAttempt(givingUp ? 'failed' : 'retry');
    if (givingUp) this.logger.warn({ deliveryId: delivery.id, problem }, 'webhooks: giving up on a delivery');
  }
}
