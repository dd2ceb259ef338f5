import { createHash } from 'node:crypto';
import type { PGlite } from '@electric-sql/pglite';
import type pg from 'pg';
import { loadPg } from './pg-module.js';

/**
 * PostgreSQL's LISTEN/NOTIFY for one store (one database, one schema): the
 * write pipeline notifies inside its transaction (`pg_notify` is delivered
 * when, and only when, the transaction commits), and each process listens
 * on one dedicated connection.
 */
export interface Notifications {
  /** The channel name, derived from the schema so that several stores on one server do not hear each other. */
  readonly channel: string;
  /**
   * Starts listening. `onConnected` runs after the first LISTEN and after
   * every reconnection: notifications sent while the connection was down are
   * lost, so the listener catches up from its durable source then.
   */
  listen(handlers: NotificationHandlers): Promise<NotificationSubscription>;
}

export interface NotificationHandlers {
  onMessage(payload: string): void;
  onConnected(): void;
}

export interface NotificationSubscription {
  stop(): Promise<void>;
  /** The backend pid of the listening connection (PostgreSQL), for operators and tests. */
  backendPid(): number | null;
}

/** A channel name of at most 63 bytes (PostgreSQL's identifier limit) for a schema. */
export function changeChannelName(schema: string | undefined): string {
  return schema ? `charmstore_changes_${createHash('sha256').update(schema).digest('hex').slice(0, 16)}` : 'charmstore_changes';
}

/** The embedded database: its own LISTEN, in process; it cannot lose its connection. */
export function pgliteNotifications(pglite: PGlite, channel: string): Notifications {
  return {
    channel,
    async listen(handlers) {
      const unlisten = await pglite.listen(channel, (payload) => handlers.onMessage(payload));
      handlers.onConnected();
      return { stop: () => unlisten(), backendPid: () => null };
    },
  };
}

export interface PostgresListenerOptions {
  /** The first wait before reconnecting; doubles up to `maxBackoffMs`. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  onError?(error: unknown): void;
}

/**
 * PostgreSQL: one pg Client per listener, outside the pool (a pooled
 * connection would be handed to other queries). When the connection drops
 * (server restart, pg_terminate_backend, network), it reconnects with
 * exponential back-off and calls `onConnected` again so the caller catches up.
 */
export function postgresNotifications(config: pg.ClientConfig, channel: string, options: PostgresListenerOptions = {}): Notifications {
  const initialBackoffMs = options.initialBackoffMs ?? 100;
  const maxBackoffMs = options.maxBackoffMs ?? 5000;
  return {
    channel,
    async listen(handlers) {
      let stopped = false;
      let client: pg.Client | null = null;
      let pid: number | null = null;
      let backoffMs = initialBackoffMs;
      let retryTimer: NodeJS.Timeout | undefined;

      const connect = async (): Promise<void> => {
        const candidate = new (loadPg().Client)(config);
        candidate.on('notification', (message) => {
          if (message.channel === channel) handlers.onMessage(message.payload ?? '');
        });
        candidate.on('error', (error) => {
          options.onError?.(error);
          dropped(candidate);
        });
        candidate.on('end', () => dropped(candidate));
        await candidate.connect();
        await candidate.query(`LISTEN "${channel}"`);
        const result = await candidate.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
        if (stopped) {
          await candidate.end().catch(() => undefined);
          return;
        }
        client = candidate;
        pid = result.rows[0]?.pid ?? null;
        backoffMs = initialBackoffMs;
        handlers.onConnected();
      };

      const dropped = (which: pg.Client) => {
        if (client !== which || stopped) return;
        client = null;
        pid = null;
        which.removeAllListeners('notification');
        void which.end().catch(() => undefined);
        scheduleReconnect();
      };

      const scheduleReconnect = () => {
        if (stopped || retryTimer) return;
        const wait = backoffMs;
        backoffMs = Math.min(backoffMs * 2, maxBackoffMs);
        retryTimer = setTimeout(() => {
          retryTimer = undefined;
          connect().catch((error: unknown) => {
            options.onError?.(error);
            scheduleReconnect();
          });
        }, wait);
        retryTimer.unref();
      };

      await connect();
      return {
        backendPid: () => pid,
        stop: async () => {
          stopped = true;
          if (retryTimer) clearTimeout(retryTimer);
          const current = client;
          client = null;
          await current?.end().catch(() => undefined);
        },
      };
    },
  };
}
