import { GraphQLError } from 'graphql';
import { AuthenticationError, StoreError, ValidationError } from '../../domain/errors.js';
import { type SubscriptionItem, subscribeEntityChanges, subscribeReleases, subscriberSession } from '../../services/live/subscribe-changes.js';
import { builder } from '../builder.js';
import type { GraphQLContext } from '../context.js';
import { EntityChangeRef } from '../nodes/entity-change.js';

/** Resumes from `after`, or else from the SSE `Last-Event-ID` header a reconnecting client sends. */
function resumePoint(after: string | null | undefined, ctx: GraphQLContext): string | null {
  return after ?? ctx.lastEventId ?? null;
}

/** Errors of a subscription are GraphQL errors with a code (a subscription has no result union to carry them). */
function asGraphQLError(error: unknown): unknown {
  if (error instanceof StoreError) {
    const code = error instanceof ValidationError ? 'BAD_USER_INPUT' : error instanceof AuthenticationError ? 'AUTHENTICATION_ERROR' : 'BAD_REQUEST';
    return new GraphQLError(error.message, { extensions: { code } });
  }
  return error;
}

function itemResolver(item: SubscriptionItem, _args: unknown, ctx: GraphQLContext) {
  if ('ended' in item) throw asGraphQLError(item.ended);
  ctx.deliveredEventId = String(item.change.eventId);
  return item.change;
}

async function session<T>(ctx: GraphQLContext, open: () => Promise<T>): Promise<T> {
  try {
    return await open();
  } catch (error) {
    throw asGraphQLError(error);
  }
}

builder.subscriptionField('entityChanged', (t) =>
  t.field({
    type: EntityChangeRef,
    description:
      'Each change of the named entities, while you may see them: rights are checked at every event, so a revoked grant or a private switch stops delivery, and a revoked or expired token ends the subscription with an AUTHENTICATION_ERROR.',
    args: {
      urls: t.arg.stringList({ required: true, description: 'The charms and bundles to follow, e.g. ["cs:~kirk/foo"]; at most 100.' }),
      after: t.arg.id({ description: 'Resume: first deliver every change after this event id (at most 1000), then live ones.' }),
    },
    subscribe: (_root, { urls, after }, ctx) =>
      session(ctx, () =>
        subscribeEntityChanges(ctx.services, subscriberSession(ctx.services, ctx.live.feed, ctx.authorization, ctx.live.settings.authRecheckMs), {
          urls,
          after: resumePoint(after === null || after === undefined ? after : String(after), ctx),
        }),
      ),
    resolve: itemResolver,
  }),
);

builder.subscriptionField('releases', (t) =>
  t.field({
    type: EntityChangeRef,
    description: 'Store-wide: every new release (kind RELEASE) of an entity you may see, optionally of one owner.',
    args: {
      owner: t.arg.string({ description: 'Only entities of this user or group.' }),
      after: t.arg.id({ description: 'Resume: first deliver every release after this event id (at most 1000), then live ones.' }),
    },
    subscribe: (_root, { owner, after }, ctx) =>
      session(ctx, () =>
        subscribeReleases(subscriberSession(ctx.services, ctx.live.feed, ctx.authorization, ctx.live.settings.authRecheckMs), {
          owner,
          after: resumePoint(after === null || after === undefined ? after : String(after), ctx),
        }),
      ),
    resolve: itemResolver,
  }),
);
