import {
  AuthenticationError,
  ConflictError,
  NotFoundError,
  PermissionDeniedError,
  type StoreError,
  ValidationError,
} from '../domain/errors.js';
import { builder } from './builder.js';

/** The interface every typed failure implements. */
export const ErrorInterface = builder.interfaceRef<StoreError>('Error').implement({
  description: 'An expected failure, returned as data. `message` says what was wrong and how to fix it.',
  fields: (t) => ({
    message: t.exposeString('message', { description: 'What went wrong, and how to fix it.' }),
  }),
});

builder.objectType(ValidationError, {
  name: 'ValidationError',
  description: 'The input was not acceptable; nothing was changed.',
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof ValidationError,
  fields: (t) => ({
    field: t.exposeString('field', { nullable: true, description: 'The input field at fault, when there is one.' }),
  }),
});

builder.objectType(NotFoundError, {
  name: 'NotFoundError',
  description: 'The target does not exist, or is not visible to you (the two are indistinguishable).',
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof NotFoundError,
});

builder.objectType(PermissionDeniedError, {
  name: 'PermissionDeniedError',
  description: 'You can see the target but may not do this to it.',
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof PermissionDeniedError,
});

builder.objectType(ConflictError, {
  name: 'ConflictError',
  description: 'A name is already taken, or a concurrent change got there first.',
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof ConflictError,
});

builder.objectType(AuthenticationError, {
  name: 'AuthenticationError',
  description: 'The operation needs a signed-in user, or the credentials given were wrong.',
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof AuthenticationError,
});

export { AuthenticationError, ConflictError, NotFoundError, PermissionDeniedError, ValidationError };
