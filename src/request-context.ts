import { AsyncLocalStorage } from 'node:async_hooks';

/** What is known about the HTTP request being handled, wherever its work runs (services, logs). */
export interface RequestContext {
  requestId: string;
  /** performance.now() when the request arrived, for the access log and latency metrics. */
  startedAt: number;
  /** The signed-in user, once the bearer token has been checked. */
  userId?: number;
  /** The GraphQL operation, once Yoga has parsed it. */
  operation?: { name: string; type: string };
}

export const requestContext = new AsyncLocalStorage<RequestContext>();

/** The id of the request being handled (undefined outside one, e.g. at start-up). */
export function currentRequestId(): string | undefined {
  return requestContext.getStore()?.requestId;
}
