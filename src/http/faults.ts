import { GraphQLError } from 'graphql';
import type { Logger } from '../logger.js';
import { isDatabaseUnavailable } from '../services/prisma-errors.js';
import { currentRequestId } from '../request-context.js';

/** What a 503 asks clients to wait before retrying. */
export const RETRY_AFTER_SECONDS = 5;

const reported = new WeakSet<object>();

/**
 * Logs an unexpected error (the logger adds the request's id), once: the same error can
 * pass through several layers (Yoga logs what it masks, and masks some
 * errors twice), and only the first report counts.
 */
export function reportUnexpected(logger: Logger, error: unknown): void {
  if (typeof error === 'object' && error !== null) {
    if (reported.has(error)) return;
    reported.add(error);
    const original = (error as { originalError?: unknown }).originalError;
    if (typeof original === 'object' && original !== null) reported.add(original);
  }
  const unavailable = isDatabaseUnavailable(error);
  logger.error({ err: error, databaseUnavailable: unavailable || undefined }, unavailable ? 'database unavailable' : 'unexpected error');
}

/** Marks an error as answered on purpose (a client's mistake), so that nothing logs it as unexpected. */
export function markHandled(error: object): void {
  reported.add(error);
}

/** True when `reportUnexpected` has already logged this error (or it was marked handled). */
export function alreadyReported(error: unknown): boolean {
  return typeof error === 'object' && error !== null && reported.has(error);
}

/** The GraphQL error of a request the database could not serve: HTTP 503 with Retry-After. */
export function serviceUnavailableError(): GraphQLError {
  const requestId = currentRequestId();
  return new GraphQLError(`The store's database is unavailable; retry in ${RETRY_AFTER_SECONDS} seconds${requestId ? ` (request ${requestId})` : ''}`, {
    extensions: { code: 'SERVICE_UNAVAILABLE', requestId, http: { status: 503, headers: { 'Retry-After': String(RETRY_AFTER_SECONDS) } } },
  });
}

/** The GraphQL error that replaces any other unexpected error: nothing about the store's internals leaks. */
export function internalError(): GraphQLError {
  const requestId = currentRequestId();
  return new GraphQLError(`Unexpected error${requestId ? ` (request ${requestId})` : ''}.`, { extensions: { code: 'INTERNAL_SERVER_ERROR', requestId } });
}

/**
 * The answer of a non-GraphQL route (uploads, downloads) to an unexpected
 * error: 503 with Retry-After when the database is unavailable, 500
 * otherwise; a generic JSON body with the request id, and the error logged.
 */
export function faultResponse(error: unknown, logger: Logger, ResponseClass: typeof Response): Response {
  reportUnexpected(logger, error);
  const requestId = currentRequestId();
  if (isDatabaseUnavailable(error)) {
    return new ResponseClass(
      JSON.stringify({ error: `The store's database is unavailable; retry in ${RETRY_AFTER_SECONDS} seconds`, code: 'SERVICE_UNAVAILABLE', requestId }),
      { status: 503, headers: { 'content-type': 'application/json', 'retry-after': String(RETRY_AFTER_SECONDS) } },
    );
  }
  return new ResponseClass(JSON.stringify({ error: 'Unexpected error; the store logged it under this request id', code: 'INTERNAL_SERVER_ERROR', requestId }), {
    status: 500,
    headers: { 'content-type': 'application/json' },
  });
}
