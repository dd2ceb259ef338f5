import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { createClient as createSseClient } from 'graphql-sse';
import { createClient as createWsClient } from 'graphql-ws';
import pino from 'pino';
import WebSocket from 'ws';
import { listen, type RunningServer } from '../../src/http/server.js';
import type { StoreApp } from '../../src/http/app.js';
import { operationText } from './store.js';
import { scaled } from './timing.js';

/** Serves a test store's app over real HTTP (and WebSocket) on a free loopback port. */
export function serve(app: StoreApp): Promise<RunningServer> {
  return listen(app, '127.0.0.1', 0, pino({ level: 'silent' }));
}

export interface Collected<T> {
  events: T[];
  errors: unknown[];
  completed: boolean;
  /** Resolves once `predicate` holds for the events received (or fails after `timeoutMs`). */
  waitFor(predicate: (events: T[]) => boolean, timeoutMs?: number): Promise<T[]>;
  /** Resolves once the subscription ended (completed or with an error). */
  ended(timeoutMs?: number): Promise<void>;
  stop(): void;
}

type Sink = { next(value: { data?: unknown; errors?: unknown }): void; error(error: unknown): void; complete(): void };
type Subscribe = (sink: Sink) => () => void;

/**
 * Everyone waiting in `waitFor` or `ended`, woken to check again whenever any
 * subscription delivers something (a predicate may look at another
 * subscription's events too), rather than polling: a test with 200
 * subscribers polling every 20 ms ran ~10,000 timers a second for nothing.
 */
const waiters = new Set<() => void>();
function changed(): void {
  for (const wake of [...waiters]) wake();
}

function collect<T>(subscribe: Subscribe, pick: (data: any) => T): Collected<T> {
  /** Resolves once `done()` holds, checking after each delivery; rejects with `failure()` after `timeoutMs`. */
  const until = (done: () => boolean, failure: () => Error, timeoutMs: number) =>
    new Promise<void>((resolve, reject) => {
      if (done()) return resolve();
      // Called from a subscription's sink: a predicate that throws fails the wait, not the client.
      const check = () => {
        let met: boolean;
        try {
          met = done();
        } catch (error) {
          finish();
          return reject(error);
        }
        if (!met) return;
        finish();
        resolve();
      };
      const timer = setTimeout(() => {
        finish();
        reject(failure());
      }, timeoutMs);
      const finish = () => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      waiters.add(check);
    });
  const collected: Collected<T> = {
    events: [],
    errors: [],
    completed: false,
    async waitFor(predicate, timeoutMs = scaled(20_000)) {
      await until(
        () => predicate(collected.events),
        () => new Error(`timed out; received ${JSON.stringify(collected.events)}; errors ${JSON.stringify(collected.errors)}`),
        timeoutMs,
      );
      return collected.events;
    },
    async ended(timeoutMs = scaled(20_000)) {
      await until(
        () => collected.completed || collected.errors.length > 0,
        () => new Error(`subscription did not end; received ${JSON.stringify(collected.events)}`),
        timeoutMs,
      );
    },
    stop: () => undefined,
  };
  collected.stop = subscribe({
    next: (value) => {
      if (value.errors) collected.errors.push(value.errors);
      if (value.data) collected.events.push(pick(value.data));
      changed();
    },
    error: (error) => {
      collected.errors.push(error);
      changed();
    },
    complete: () => {
      collected.completed = true;
      changed();
    },
  });
  return collected;
}

/** A subscription over Server-Sent Events with the standard graphql-sse client (distinct connections mode). */
export function subscribeSse<R, V extends Record<string, unknown>, T>(
  baseUrl: string,
  document: TypedDocumentNode<R, V>,
  variables: V,
  pick: (data: R) => T,
  options: { token?: string; headers?: Record<string, string> } = {},
): Collected<T> {
  const client = createSseClient({
    url: `${baseUrl}/graphql`,
    retryAttempts: 0,
    headers: { ...(options.token ? { authorization: `Bearer ${options.token}` } : {}), ...options.headers },
  });
  return collect((sink) => {
    const unsubscribe = client.subscribe({ query: operationText(document), variables }, sink as never);
    return () => {
      unsubscribe();
      client.dispose();
    };
  }, pick);
}

/** A subscription over the graphql-ws WebSocket protocol with the standard client. */
export function subscribeWs<R, V extends Record<string, unknown>, T>(
  baseUrl: string,
  document: TypedDocumentNode<R, V>,
  variables: V,
  pick: (data: R) => T,
  options: { token?: string } = {},
): Collected<T> {
  const client = createWsClient({
    url: `${baseUrl.replace(/^http/, 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    lazy: true,
    connectionParams: options.token ? { authorization: `Bearer ${options.token}` } : {},
  });
  return collect((sink) => {
    const unsubscribe = client.subscribe({ query: operationText(document), variables }, sink as never);
    return () => {
      unsubscribe();
      void client.dispose();
    };
  }, pick);
}

/** Waits until the process listens for changes (a subscription is only live once its server LISTENs). */
export async function eventually<T>(probe: () => Promise<T> | T, accept: (value: T) => boolean, timeoutMs = scaled(20_000)): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (accept(value)) return value;
    if (Date.now() > deadline) throw new Error(`condition not met in time; last value ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
