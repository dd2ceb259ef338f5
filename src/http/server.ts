import http from 'node:http';
import type { AddressInfo } from 'node:net';
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
        server.close(() => {
          clearTimeout(timer);
          resolve();
        });
        // Idle keep-alive connections would otherwise hold the server open.
        server.closeIdleConnections();
      }),
  };
}
