import { describe, expect, it } from 'vitest';
import { NotFoundError, ValidationError } from '../../src/domain/errors.js';

function missing(): NotFoundError {
  return new NotFoundError('No such charm');
}

describe('typed errors', () => {
  it('keep the stack of where they were made, formatted only when read', () => {
    const error = missing();
    // Pothos reads every property descriptor of a returned error: the stack is not formatted by that.
    expect(Object.getOwnPropertyDescriptor(error, 'stack')?.get).toBeTypeOf('function');
    expect(error.stack).toMatch(/^Error: No such charm\n\s+at missing /);
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error.code).toBe('NOT_FOUND');
  });

  it('take a stack written over theirs', () => {
    const error = new ValidationError('Bad name', 'name');
    error.stack = 'ValidationError: Bad name\n    in the migration process';
    expect(error.stack).toBe('ValidationError: Bad name\n    in the migration process');
    expect(error.field).toBe('name');
  });
});
