import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { GraphQLError, type ExecutionArgs } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { Logger } from '../logger.js';
import type { StoreApp } from './app.js';

export interface RunningServer {
  url: string;
  /** Stops accepting connections, lets in-flight requests finish (up to `timeoutMs`), then resolves. */
  close(timeoutMs: number): Promise<void>;
}

export async function listen(app: StoreApp, host: string, port: number, logger: Logger): Promise<RunningServer> {
  // Yoga is a fetch handler and also a Node request listener.
  const server = http.createServer(app);
  const webSockets = serveGraphQLOverWebSocket(app, server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${shownHost}:${address.port}`;
  logger.info({ url }, 'charm store listening');

  return {
    url,
    close: (timeoutMs) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          logger.warn('in-flight requests did not finish in time; closing their connections');
          server.closeAllConnections();
        }, timeoutMs);
        timer.unref();
        // Subscriptions never finish on their own: end them (clients reconnect elsewhere and resume with `after`).
        for (const socket of webSockets.clients) socket.close(1001, 'server shutting down');
        webSockets.close();
        server.close(() => {
          clearTimeout(timer);
          void app.live.close().finally(resolve);
        });
        // Idle keep-alive connections would otherwise hold the server open.
        server.closeIdleConnections();
      }),
  };
}

/**
 * The graphql-ws protocol on the same port and path as HTTP (/graphql), run
 * through Yoga's envelop so that every plugin (limits, context, errors)
 * applies as over HTTP; Yoga's recipe for graphql-ws. The token comes in the
 * connection parameters: `{"authorization": "Bearer <token>"}`.
 */
function serveGraphQLOverWebSocket(app: StoreApp, server: http.Server): WebSocketServer {
  const webSockets = new WebSocketServer({ server, path: app.graphqlEndpoint });
  interface EnvelopRoot {
    execute(args: ExecutionArgs): unknown;
    subscribe(args: ExecutionArgs): unknown;
  }
  useServer(
    {
      execute: (args) => (args.rootValue as EnvelopRoot).execute(args) as never,
      subscribe: (args) => (args.rootValue as EnvelopRoot).subscribe(args) as never,
      onSubscribe: async (ctx, _id, params) => {
        const { schema, execute, subscribe, contextFactory, parse, validate } = app.getEnveloped({
          ...ctx,
          req: ctx.extra.request,
          socket: ctx.extra.socket,
          params,
        });
        let document;
        try {
          document = parse(params.query);
        } catch (error) {
          return [error instanceof GraphQLError ? error : new GraphQLError(String(error))];
        }
        const errors = validate(schema, document);
        if (errors.length > 0) return errors;
        let contextValue;
        try {
          contextValue = await contextFactory();
        } catch (error) {
          return [error instanceof GraphQLError ? error : new GraphQLError('Cannot start the operation', { extensions: { code: 'INTERNAL_SERVER_ERROR' } })];
        }
        return {
          schema,
          operationName: params.operationName,
          document,
          variableValues: params.variables,
          contextValue,
          rootValue: { execute, subscribe } satisfies EnvelopRoot,
        };
      },
    },
    webSockets,
  );
  return webSockets;
}
