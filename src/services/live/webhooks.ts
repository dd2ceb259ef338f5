import type { Tx } from '../../db/database.js';
import { CHANGE_KINDS, type ChangeKind, changeKindOf } from '../../domain/change-kind.js';
import { AuthenticationError, NotFoundError, PermissionDeniedError, ValidationError } from '../../domain/errors.js';
import type { WebhookTargetPolicy } from '../../domain/webhook-target.js';
import { requireSignedIn } from '../accounts/require.js';
import type { EntityAccess } from '../authorization/entity-access.js';
import type { ServiceContext } from '../context.js';
import { entityAccessLoader, requireEntity } from '../entities/find-entity.js';
import { checkWebhookTarget } from './webhook-target.js';

/** Refuses every private target: what a store without the setting does. */
export const DEFAULT_WEBHOOK_POLICY: WebhookTargetPolicy = { allowPrivate: false };
export const MIN_SECRET_LENGTH = 16;
export const MAX_WEBHOOKS_PER_ENTITY = 20;

/** What createWebhook, deleteWebhook and redeliverWebhook can refuse with. */
export const webhookErrors = [AuthenticationError, NotFoundError, PermissionDeniedError, ValidationError] as const;

function requireManageWebhooks(access: EntityAccess): void {
  if (access.canManage('package-manage-metadata')) return;
  throw new PermissionDeniedError(`Only the owners of ${access.url} and store administrators may manage its webhooks`);
}

/** Owners and admins: POSTs each change of the listed kinds (all when none) of `url` to `target`, signed with `secret`. */
export async function createWebhook(
  ctx: ServiceContext,
  input: { url: string; target: string; events?: readonly ChangeKind[] | null; secret: string },
): Promise<{ webhookId: number }> {
  requireSignedIn(ctx);
  const { access } = await requireEntity(ctx, input.url);
  requireManageWebhooks(access);
  if (input.secret.length < MIN_SECRET_LENGTH || input.secret.length > 256) {
    throw new ValidationError(`secret must be ${MIN_SECRET_LENGTH} to 256 characters (a random string only you and the receiver know)`, 'secret');
  }
  const events = [...new Set(input.events ?? [])].filter((kind) => CHANGE_KINDS.includes(kind));
  await checkWebhookTarget(input.target, ctx.settings.webhooks ?? DEFAULT_WEBHOOK_POLICY);
  const count = await ctx.prisma.webhook.count({ where: { entityId: access.entity.id } });
  if (count >= MAX_WEBHOOKS_PER_ENTITY) throw new ValidationError(`An entity may have at most ${MAX_WEBHOOKS_PER_ENTITY} webhooks`, 'url');
  const webhook = await ctx.prisma.webhook.create({
    data: { entityId: access.entity.id, target: input.target, events, secret: input.secret, createdById: ctx.actor!.userId, createdAt: ctx.now() },
    select: { id: true },
  });
  return { webhookId: webhook.id };
}

/** The webhook with `id`, if the caller manages its entity; NotFoundError otherwise (as if it did not exist). */
async function managedWebhook(ctx: ServiceContext, id: number): Promise<{ id: number; entityId: number }> {
  requireSignedIn(ctx);
  const webhook = await ctx.prisma.webhook.findUnique({ where: { id }, select: { id: true, entityId: true } });
  const access = webhook ? await entityAccessLoader(ctx).load(webhook.entityId) : null;
  if (!webhook || !access) throw new NotFoundError(`No webhook ${id}`);
  requireManageWebhooks(access);
  return webhook;
}

export function parseWebhookId(value: string | number, field = 'id'): number {
  const text = String(value);
  if (!/^\d{1,9}$/.test(text)) throw new ValidationError(`${field} must be a webhook id`, field);
  return Number(text);
}

/** Deletes a webhook and its delivery records; nothing more is sent to it. */
export async function deleteWebhook(ctx: ServiceContext, input: { id: string }): Promise<{ entityId: number }> {
  const webhook = await managedWebhook(ctx, parseWebhookId(input.id));
  await ctx.prisma.webhook.delete({ where: { id: webhook.id } });
  return { entityId: webhook.entityId };
}

/** Sends a delivery again (after a fix on the receiver's side): it is queued now, with a fresh retry window. */
export async function redeliverWebhook(ctx: ServiceContext, input: { deliveryId: string }): Promise<{ deliveryId: number }> {
  const deliveryId = parseWebhookId(input.deliveryId, 'deliveryId');
  const delivery = await ctx.prisma.webhookDelivery.findUnique({ where: { id: deliveryId }, select: { webhookId: true } });
  if (!delivery) throw new NotFoundError(`No delivery ${deliveryId}`);
  await managedWebhook(ctx, delivery.webhookId);
  const now = ctx.now();
  await ctx.prisma.webhookDelivery.update({
    where: { id: deliveryId },
    data: { status: 'PENDING', attempts: 0, nextAttemptAt: now, queuedAt: now, lastError: null, lastStatusCode: null, deliveredAt: null },
  });
  return { deliveryId };
}

