import type { Plugin } from 'graphql-yoga';
import type { Logger } from '../logger.js';
import { requestContext } from '../request-context.js';
import { routeOf, type StoreMetrics } from './metrics.js';

/** The `msg` of access log lines. */
export const ACCESS_LOG_MESSAGE = 'request';

/**
 * One JSON line per request once its response headers are ready (`msg`
 * "request"): method, path (without the query), GraphQL operation name and
 * type, status, durationMs, userId when signed in; the logger adds the
 * requestId. The same moment feeds the HTTP metrics.
 */
export function accessLog(logger: Logger, metrics: StoreMetrics): Plugin {
  return {
    onResponse({ request, response }) {
      const store = requestContext.getStore();
      if (!store) return;
      const url = new URL(request.url, 'http://store');
      const durationMs = performance.now() - store.startedAt;
      // A 304 revalidating the GraphiQL page has no content type: the request says what was asked.
      const isGraphiQL = request.method === 'GET' && (request.headers.get('accept') ?? '').includes('text/html') && routeOf(url.pathname) === 'graphql';
      const route = isGraphiQL ? 'graphiql' : routeOf(url.pathname);
      metrics.httpRequests.inc({ method: request.method, route, status: String(response.status) });
      metrics.httpDuration.observe({ route }, durationMs / 1000);
      logger.info(
        {
          method: request.method,
          path: url.pathname,
          operation: store.operation?.name,
          operationType: store.operation?.type,
          status: response.status,
          durationMs: Math.round(durationMs * 10) / 10,
          userId: store.userId,
        },
        ACCESS_LOG_MESSAGE,
      );
    },
  };
}
