/**
 * Expected failures of the store's use cases. Services throw them; the GraphQL
 * layer turns each into the typed result of the same name.
 */
export abstract class StoreError extends Error {
  abstract readonly code: string;

  constructor(message?: string) {
    super(message);
    formatStackWhenRead(this, new.target);
  }
}

/**
 * A typed error is usually an answer, not a crash, and Pothos' errors plugin
 * reads the property descriptors of each one it returns, which in V8 formats
 * `stack` (source-mapped under --enable-source-maps: a few per cent of a
 * small request's CPU). The stack is captured as usual, but formatted only
 * when something reads it (a log line, a debugger).
 */
function formatStackWhenRead(error: Error, constructor: Function): void {
  const captured = { name: error.name, message: error.message, toString: () => `${error.name}: ${error.message}` } as { stack?: string };
  Error.captureStackTrace(captured, constructor);
  Object.defineProperty(error, 'stack', {
    configurable: true,
    enumerable: false,
    get: () => captured.stack,
    set: (value: unknown) => Object.defineProperty(error, 'stack', { value, writable: true, configurable: true, enumerable: false }),
  });
}

/** Bad input. `field` names the input field at fault, when there is one. */
export class ValidationError extends StoreError {
  readonly code = 'VALIDATION_ERROR';
  constructor(
    message: string,
    readonly field: string | null = null,
  ) {
    super(message);
  }
}

/** Missing, or not visible to the caller: the two are indistinguishable on purpose. */
export class NotFoundError extends StoreError {
  readonly code = 'NOT_FOUND';
}

/** The caller can see the target but may not do this to it. */
export class PermissionDeniedError extends StoreError {
  readonly code = 'PERMISSION_DENIED';
}

/** A name is taken, or a concurrent change got there first. */
export class ConflictError extends StoreError {
  readonly code = 'CONFLICT';
}

/** The operation needs a signed-in user, or the credentials were wrong. */
export class AuthenticationError extends StoreError {
  readonly code = 'AUTHENTICATION_ERROR';
}
