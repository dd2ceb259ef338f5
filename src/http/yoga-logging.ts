import type { Logger } from '../logger.js';
import { alreadyReported } from './faults.js';

type Level = 'debug' | 'info' | 'warn' | 'error';

/**
 * Yoga's logger interface (console-like: a message or an error, then
 * anything) on pino: the message becomes `msg`, an error `err`, the rest
 * `details`. Errors that maskError or a route reported already are not
 * logged again (Yoga logs every error it masks).
 */
export function yogaLogger(logger: Logger): Record<Level, (...args: unknown[]) => void> {
  const write =
    (level: Level) =>
    (...args: unknown[]): void => {
      // Yoga writes several debug lines per request: nothing is built for a level that is off.
      if (!logger.isLevelEnabled(level)) return;
      const [first, ...rest] = args;
      if (level === 'error' && args.some((arg) => alreadyReported(arg))) return;
      const details = rest.length === 0 ? undefined : rest.length === 1 ? rest[0] : rest;
      if (first instanceof Error) logger[level]({ err: first, details }, first.message);
      else if (typeof first === 'string') logger[level]({ details }, first);
      else logger[level]({ details: args }, 'graphql-yoga');
    };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}
