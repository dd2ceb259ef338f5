import { describe, expect, it } from 'vitest';
import { Prisma } from '../src/generated/prisma/client.js';
import { isRetryableTransactionError, StaleCommandError, withRetries } from '../src/services/pipeline/retry.js';

const deadlock = () => new Prisma.PrismaClientKnownRequestError('Transaction failed due to a write conflict or a deadlock', { code: 'P2034', clientVersion: 'test' });
const rawDeadlock = () => Object.assign(new Error('raw query failed'), { cause: { originalCode: '40P01', message: 'deadlock detected' } });

describe('retrying a write the database aborted', () => {
  it('recognises deadlocks and serialization failures, and nothing else', () => {
    expect(isRetryableTransactionError(deadlock())).toBe(true);
    expect(isRetryableTransactionError(rawDeadlock())).toBe(true);
    expect(isRetryableTransactionError(Object.assign(new Error('x'), { code: '40001' }))).toBe(true);
    expect(isRetryableTransactionError(new Prisma.PrismaClientKnownRequestError('unique', { code: 'P2002', clientVersion: 'test' }))).toBe(false);
    expect(isRetryableTransactionError(new Error('connection refused'))).toBe(false);
  });

  it('runs again a write whose prepared statement a migration made stale, and no other unsupported feature', () => {
    const stale = Object.assign(new Error('cached plan must not change result type'), { code: '0A000' });
    expect(isRetryableTransactionError(stale)).toBe(true);
    expect(isRetryableTransactionError(new Error('write failed', { cause: stale }))).toBe(true);
    expect(isRetryableTransactionError(Object.assign(new Error('LOCK TABLE is not supported here'), { code: '0A000' }))).toBe(false);
  });

  it('runs the transaction again until it succeeds, within the bound', async () => {
    let attempts = 0;
    const result = await withRetries({ retries: 3, baseDelayMs: 1 }, async () => {
      attempts++;
      if (attempts === 1) throw deadlock();
      if (attempts === 2) throw new StaleCommandError('moved');
      if (attempts === 3) throw rawDeadlock();
      return 'committed';
    });
    expect(result).toBe('committed');
    expect(attempts).toBe(4);
  });

  it('gives up after the bound, and at once on any other error', async () => {
    let attempts = 0;
    await expect(withRetries({ retries: 2, baseDelayMs: 1 }, async () => {
      attempts++;
      throw deadlock();
    })).rejects.toThrow(/deadlock/);
    expect(attempts).toBe(3);
    attempts = 0;
    await expect(withRetries({ retries: 5, baseDelayMs: 1 }, async () => {
      attempts++;
      throw new Error('not a conflict');
    })).rejects.toThrow('not a conflict');
    expect(attempts).toBe(1);
  });
});
