import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { Plugin } from 'graphql-yoga';

export const REQUEST_ID_HEADER = 'x-request-id';
/** A client's own id is echoed when it is short and plain (it ends up in logs); otherwise the store makes one. */
const ACCEPTED_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

const requestScope = new AsyncLocalStorage<{ requestId: string }>();

/** The id of the request being handled (undefined outside one, e.g. at start-up). */
export function currentRequestId(): string | undefined {
  return requestScope.getStore()?.requestId;
}

/**
 * Gives every request an id: the client's `x-request-id` when acceptable,
 * else a fresh UUID. It is available to everything the request runs
 * (`currentRequestId`, for logs and error bodies) and echoed in the
 * response's `x-request-id` header.
 */
export function requestIds(): Plugin {
  return {
    instrumentation: {
      request: ({ request }, handle) => {
        const offered = request.headers.get(REQUEST_ID_HEADER);
        const requestId = offered !== null && ACCEPTED_REQUEST_ID.test(offered) ? offered : randomUUID();
        return requestScope.run({ requestId }, handle);
      },
    },
    onResponse({ response }) {
      const requestId = currentRequestId();
      if (requestId) response.headers.set(REQUEST_ID_HEADER, requestId);
    },
  };
}
