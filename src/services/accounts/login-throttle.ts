// The memory limiter's own module: the package's index loads every backend
// (Redis, Mongo, SQL...), ~25 ms of CPU at every start (docs/performance.md).
import RateLimiterMemory from 'rate-limiter-flexible/lib/RateLimiterMemory.js';

/**
 * Slows down password guessing: after a few failed sign-ins for a username,
 * or from one client address, each further failure locks that username or
 * address out for twice as long as the last (1 s, 2 s, 4 s ... up to 15
 * minutes); a lockout refuses before any password is checked, so it costs
 * no KDF work. A successful sign-in clears the username's count (not the
 * address's: one valid account must not reset an attacker's budget).
 *
 * Counts live in this process's memory (rate-limiter-flexible's
 * RateLimiterMemory): several server processes each keep their own, and a
 * restart forgets them (docs/security.md). Failures are forgotten an hour
 * after the last one.
 */
export interface LoginThrottleOptions {
  /** Failed sign-ins for one username before lockouts begin. */
  freeFailuresPerUsername: number;
  /** Failed sign-ins from one client address before lockouts begin. */
  freeFailuresPerAddress: number;
  maxLockoutSeconds: number;
}

export const DEFAULT_LOGIN_THROTTLE: LoginThrottleOptions = { freeFailuresPerUsername: 5, freeFailuresPerAddress: 20, maxLockoutSeconds: 15 * 60 };

const FAILURE_WINDOW_SECONDS = 60 * 60;

export class LoginThrottle {
  private readonly failures = new RateLimiterMemory({ keyPrefix: 'login-failures', points: Number.MAX_SAFE_INTEGER, duration: FAILURE_WINDOW_SECONDS });
  private readonly lockouts = new RateLimiterMemory({ keyPrefix: 'login-lockouts', points: 1, duration: 1 });

  constructor(private readonly options: LoginThrottleOptions = DEFAULT_LOGIN_THROTTLE) {}

  /** Seconds until this username may try again from this address; 0 when it may now. */
  async secondsToWait(username: string, address: string | null): Promise<number> {
    let ms = 0;
    for (const key of keysOf(username, address)) {
      const lockout = await this.lockouts.get(key.name);
      if (lockout && lockout.consumedPoints > 1) ms = Math.max(ms, lockout.msBeforeNext);
    }
    return Math.ceil(ms / 1000);
  }

  async recordFailure(username: string, address: string | null): Promise<void> {
    for (const key of keysOf(username, address)) {
      const { consumedPoints } = await this.failures.consume(key.name);
      const free = key.kind === 'username' ? this.options.freeFailuresPerUsername : this.options.freeFailuresPerAddress;
      if (consumedPoints > free) {
        await this.lockouts.block(key.name, Math.min(2 ** (consumedPoints - free - 1), this.options.maxLockoutSeconds));
      }
    }
  }

  async recordSuccess(username: string): Promise<void> {
    const [key] = keysOf(username, null);
    await this.failures.delete(key!.name);
    await this.lockouts.delete(key!.name);
  }
}

/** Usernames are counted case-insensitively, so `Kirk` and `kirk` share one budget. */
function keysOf(username: string, address: string | null): Array<{ kind: 'username' | 'address'; name: string }> {
  const keys: Array<{ kind: 'username' | 'address'; name: string }> = [{ kind: 'username', name: `user:${username.toLowerCase()}` }];
  if (address) keys.push({ kind: 'address', name: `address:${address}` });
  return keys;
}
