import { randomUUID } from 'node:crypto';
import type { Plugin } from 'graphql-yoga';
import { currentRequestId, requestContext } from '../request-context.js';

export const REQUEST_ID_HEADER = 'x-request-id';
/** A client's own id is echoed when it is short and plain (it ends up in logs); otherwise the store makes one. */
const ACCEPTED_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Gives every request an id: the client's `x-request-id` when acceptable,
 * else a fresh UUID. It is available to everything the request runs
 * (`currentRequestId`: every log line written meanwhile carries it, error
 * bodies repeat it) and echoed in the response's `x-request-id` header.
 */
export function requestIds(): Plugin {
  return {
    instrumentation: {
      request: ({ request }, handle) => {
        const offered = request.headers.get(REQUEST_ID_HEADER);
        const requestId = offered !== null && ACCEPTED_REQUEST_ID.test(offered) ? offered : randomUUID();
        return requestContext.run({ requestId, startedAt: performance.now() }, handle);
      },
    },
    onResponse({ response }) {
      const requestId = currentRequestId();
      if (requestId) response.headers.set(REQUEST_ID_HEADER, requestId);
    },
  };
}
