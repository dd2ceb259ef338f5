import { entityAccessLoader } from '../../services/entities/find-entity.js';
import { builder } from '../builder.js';
import { ChangeKindEnum } from './entity-change.js';
import type { ChangeKind } from '../../domain/change-kind.js';

export const WebhookDeliveryStatusEnum = builder.enumType('WebhookDeliveryStatus', {
  description: 'Where a webhook delivery stands.',
  values: {
    PENDING: { description: 'Not delivered yet: waiting for its first attempt or a retry.' },
    DELIVERED: { description: 'The receiver answered 2xx.' },
    FAILED: { description: 'Retries ran out; `redeliverWebhook` queues it again.' },
  } as const,
});

export const WebhookDeliveryNode = builder.prismaObject('WebhookDelivery', {
  description: 'One change sent (or to be sent) to one webhook.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Sent in the X-Charmstore-Delivery header; receivers deduplicate by it.' }),
    eventId: t.exposeID('eventId', { description: 'The change (the EntityChange.eventId of live updates).' }),
    kind: t.field({ type: ChangeKindEnum, description: 'What changed.', resolve: (delivery) => delivery.kind as ChangeKind }),
    status: t.field({ type: WebhookDeliveryStatusEnum, description: 'Where it stands.', resolve: (delivery) => delivery.status as 'PENDING' | 'DELIVERED' | 'FAILED' }),
    attempts: t.exposeInt('attempts', { description: 'Attempts made so far.' }),
    lastStatusCode: t.exposeInt('lastStatusCode', { nullable: true, description: 'The HTTP status of the last attempt; null when it got no answer.' }),
    lastError: t.exposeString('lastError', { nullable: true, description: 'Why the last attempt failed; null after a success.' }),
    nextAttemptAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'When it is tried next (PENDING only).',
      resolve: (delivery) => (delivery.status === 'PENDING' ? delivery.nextAttemptAt : null),
    }),
    queuedAt: t.expose('queuedAt', { type: 'DateTime', description: 'When the change (or a redelivery) was queued.' }),
    deliveredAt: t.expose('deliveredAt', { type: 'DateTime', nullable: true, description: 'When the receiver accepted it.' }),
  }),
});

export const WebhookNode = builder.prismaObject('Webhook', {
  description: 'An owner\'s webhook: each change of the listed kinds of its entity is POSTed to `target`, signed with the secret.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Its id, for deleteWebhook.' }),
    target: t.exposeString('target', { description: 'The receiver\'s url.' }),
    events: t.field({
      type: [ChangeKindEnum],
      description: 'The kinds sent; empty means every kind.',
      resolve: (webhook) => webhook.events as ChangeKind[],
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When it was created.' }),
    deliveries: t.relation('deliveries', {
      args: { first: t.arg.int({ description: 'How many, newest first (at most 100; 20 by default).' }) },
      description: 'The most recent deliveries, newest first. The secret is never shown.',
      query: ({ first }) => ({ orderBy: { id: 'desc' }, take: Math.min(Math.max(first ?? 20, 0), 100) }),
    }),
  }),
});

builder.prismaObjectFields('Entity', (t) => ({
  webhooks: t.prismaField({
    type: [WebhookNode],
    description: 'Its webhooks: owners and admins only (empty for everyone else).',
    resolve: async (query, entity, _args, ctx) => {
      const access = await entityAccessLoader(ctx.services).load(entity.id);
      if (!access?.canManage('package-manage-metadata')) return [];
      return ctx.prisma.webhook.findMany({ ...query, where: { entityId: entity.id }, orderBy: { id: 'asc' } });
    },
  }),
}));
