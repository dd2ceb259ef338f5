import pino from 'pino';

export type Logger = pino.Logger;

/** JSON logs on stdout, one line per event; the level comes from STORE_LOG_LEVEL. */
export function createLogger(level: string): Logger {
  return pino({ level, base: undefined, timestamp: pino.stdTimeFunctions.isoTime });
}
