import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { GraphQLError, type ExecutionArgs } from 'graphql';
import type { Duplex } from 'node:stream';
import type { WebSocketServer } from 'ws';
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
  const webSockets = serveGraphQLOverWebSocket(app, server, logger);
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
 *
 * `ws` and `graphql-ws` load with the first WebSocket request, not at
 * start-up (~70 ms of CPU that a store serving only HTTP never needed;
 * docs/performance.md, Start-up). Upgrade requests that arrive meanwhile wait
 * for them; ws answers any path but /graphql with 400, as before.
 */
function serveGraphQLOverWebSocket(app: StoreApp, server: http.Server, logger: Logger): { close(): void } {
  let webSockets: Promise<WebSocketServer> | undefined;
  let closed = false;
  const onUpgrade = (request: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    webSockets ??= graphqlWebSocketServer(app);
    webSockets.then(
      (wss) => {
        if (closed) socket.destroy();
        else wss.handleUpgrade(request, socket, head, (client) => wss.emit('connection', client, request));
      },
      (error: unknown) => {
        logger.error({ err: error }, 'cannot serve GraphQL over WebSocket');
        socket.destroy();
      },
    );
  };
  server.on('upgrade', onUpgrade);
  return {
    close() {
      closed = true;
      server.off('upgrade', onUpgrade);
      void webSockets?.then((wss) => {
        for (const client of wss.clients) client.close(1001, 'server shutting down');
        wss.close();
      });
    },
  };
}

async function graphqlWebSocketServer(app: StoreApp): Promise<WebSocketServer> {
  const [{ useServer }, { WebSocketServer }] = await Promise.all([import('graphql-ws/use/ws'), import('ws')]);
  const webSockets = new WebSocketServer({ noServer: true, path: app.graphqlEndpoint });
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
