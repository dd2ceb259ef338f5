import { createWebhook, deleteWebhook, redeliverWebhook } from '../../services/live/webhooks.js';
import { builder } from '../builder.js';
import { entitySuccess } from '../entity-success.js';
import { AuthenticationError, NotFoundError, PermissionDeniedError, ValidationError } from '../errors.js';
import { resultUnion } from '../mutation-field.js';
import { ChangeKindEnum } from '../nodes/entity-change.js';
import { WebhookDeliveryNode, WebhookNode } from '../nodes/webhook.js';

const CreateWebhookInput = builder.inputType('CreateWebhookInput', {
  description: 'A webhook on one charm or bundle.',
  fields: (t) => ({
    url: t.string({ required: true, description: 'The charm or bundle, e.g. "cs:~kirk/foo".' }),
    target: t.string({
      required: true,
      description: 'The receiver: an http(s) url. Link-local and cloud metadata addresses are refused; private ones unless the store allows them.',
    }),
    events: t.field({ type: [ChangeKindEnum], description: 'The kinds to send; all when omitted or empty.' }),
    secret: t.string({ required: true, description: '16 to 256 characters: each delivery is signed with it (X-Charmstore-Signature).' }),
  }),
});

const CreateWebhookSuccess = builder.objectRef<{ webhookId: number }>('CreateWebhookSuccess').implement({
  description: 'The webhook exists; changes from now on are delivered.',
  fields: (t) => ({
    webhook: t.prismaField({
      type: WebhookNode,
      description: 'The new webhook.',
      resolve: (query, result, _args, ctx) => ctx.prisma.webhook.findUniqueOrThrow({ ...query, where: { id: result.webhookId } }),
    }),
  }),
});

builder.mutationField('createWebhook', (t) =>
  t.field({
    type: CreateWebhookSuccess,
    description: 'Owners and admins: POSTs every change (of the listed kinds) of an entity to a receiver, signed, retried with back-off.',
    args: { input: t.arg({ type: CreateWebhookInput, required: true, description: 'What to do; see the input type.' }) },
    errors: { types: [ValidationError, NotFoundError, PermissionDeniedError, AuthenticationError], ...resultUnion('createWebhook') },
    resolve: (_root, { input }, ctx) => createWebhook(ctx.services, input),
  }),
);

const DeleteWebhookInput = builder.inputType('DeleteWebhookInput', {
  description: 'The webhook to delete.',
  fields: (t) => ({ id: t.id({ required: true, description: 'Webhook.id.' }) }),
});

builder.mutationField('deleteWebhook', (t) =>
  t.field({
    type: entitySuccess('DeleteWebhookSuccess', 'The webhook and its delivery records are gone; nothing more is sent to it.'),
    description: 'Owners and admins: deletes a webhook.',
    args: { input: t.arg({ type: DeleteWebhookInput, required: true, description: 'What to do; see the input type.' }) },
    errors: { types: [ValidationError, NotFoundError, PermissionDeniedError, AuthenticationError], ...resultUnion('deleteWebhook') },
    resolve: (_root, { input }, ctx) => deleteWebhook(ctx.services, { id: String(input.id) }),
  }),
);

const RedeliverWebhookInput = builder.inputType('RedeliverWebhookInput', {
  description: 'The delivery to send again.',
  fields: (t) => ({ deliveryId: t.id({ required: true, description: 'WebhookDelivery.id.' }) }),
});

const RedeliverWebhookSuccess = builder.objectRef<{ deliveryId: number }>('RedeliverWebhookSuccess').implement({
  description: 'The delivery is queued again, with a fresh retry window.',
  fields: (t) => ({
    delivery: t.prismaField({
      type: WebhookDeliveryNode,
      description: 'The delivery, now PENDING.',
      resolve: (query, result, _args, ctx) => ctx.prisma.webhookDelivery.findUniqueOrThrow({ ...query, where: { id: result.deliveryId } }),
    }),
  }),
});

builder.mutationField('redeliverWebhook', (t) =>
  t.field({
    type: RedeliverWebhookSuccess,
    description: 'Owners and admins: sends a delivery again (e.g. a FAILED one, once the receiver is fixed).',
    args: { input: t.arg({ type: RedeliverWebhookInput, required: true, description: 'What to do; see the input type.' }) },
    errors: { types: [ValidationError, NotFoundError, PermissionDeniedError, AuthenticationError], ...resultUnion('redeliverWebhook') },
    resolve: (_root, { input }, ctx) => redeliverWebhook(ctx.services, { deliveryId: String(input.deliveryId) }),
  }),
);
