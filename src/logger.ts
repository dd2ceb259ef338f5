import pino from 'pino';
import { currentRequestId } from './request-context.js';

export type Logger = pino.Logger;

/**
 * JSON logs on stdout, one line per event; the level comes from
 * STORE_LOG_LEVEL. A line written while a request is handled carries its
 * `requestId`.
 */
export function createLogger(level: string): Logger {
  return pino({ level, base: undefined, timestamp: pino.stdTimeFunctions.isoTime, mixin: requestIdMixin });
}

/** pino's `mixin` that adds the current request's id, for loggers made elsewhere (tests). */
export function requestIdMixin(): { requestId?: string } {
  const requestId = currentRequestId();
  return requestId ? { requestId } : {};
}
