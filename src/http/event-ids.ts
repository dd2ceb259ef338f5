import type { Plugin } from 'graphql-yoga';
import type { GraphQLContext } from '../graphql/context.js';

/**
 * Every subscription result names the change it delivers: `extensions.eventId`
 * (over SSE and graphql-ws, whatever the selection), and over SSE also the
 * standard `id:` line, so a browser's EventSource sends it back as
 * `Last-Event-ID` when it reconnects and the subscription resumes after it
 * (see `resumePoint` in src/graphql/subscriptions/entity-changed.ts).
 *
 * The subscription's resolver records the id of the change it resolves in the
 * context (one subscription per context, results produced one at a time), and
 * the result hook moves it into the result.
 */
export function eventIds(): Plugin<GraphQLContext> {
  return {
    onSubscribe() {
      return {
        onSubscribeResult({ args }) {
          const ctx = args.contextValue;
          return {
            onNext({ result, setResult }) {
              const eventId = ctx.deliveredEventId;
              if (eventId === null) return;
              ctx.deliveredEventId = null;
              setResult({ ...result, extensions: { ...result.extensions, eventId } });
            },
          };
        },
      };
    },
    onResponse({ response, setResponse, fetchAPI }) {
      if (!(response.headers.get('content-type') ?? '').startsWith('text/event-stream') || response.body === null) return;
      // pipeThrough passes a client's disconnect (cancel) on to Yoga's stream, which ends the subscription.
      setResponse(new fetchAPI.Response(response.body.pipeThrough(sseIdLines()), { status: response.status, headers: response.headers }));
    },
  };
}

/** Adds `id: <eventId>` to each SSE message whose data carries `extensions.eventId`; pings and the rest pass unchanged. */
function sseIdLines(): TransformStream<Uint8Array, Uint8Array> {
  const decoder = new TextDecoder();
  const encoder = new TextEncoder();
  let pending = '';
  return new TransformStream({
    transform(chunk, controller) {
      pending += decoder.decode(chunk, { stream: true });
      // Messages end with a blank line; Yoga writes one message in several chunks.
      for (let end = pending.indexOf('\n\n'); end !== -1; end = pending.indexOf('\n\n')) {
        controller.enqueue(encoder.encode(withIdLine(pending.slice(0, end + 2))));
        pending = pending.slice(end + 2);
      }
    },
    flush(controller) {
      if (pending !== '') controller.enqueue(encoder.encode(pending));
    },
  });
}

function withIdLine(message: string): string {
  const data = message.split('\n').find((line) => line.startsWith('data: '));
  if (data === undefined) return message;
  let eventId: unknown;
  try {
    eventId = (JSON.parse(data.slice('data: '.length)) as { extensions?: { eventId?: unknown } }).extensions?.eventId;
  } catch {
    return message;
  }
  return typeof eventId === 'string' && /^\d+$/.test(eventId) ? `id: ${eventId}\n${message}` : message;
}
