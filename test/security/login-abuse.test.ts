import { print } from 'graphql';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { LoginThrottle } from '../../src/services/accounts/login-throttle.js';
import { hashPassword, PASSWORD_HASHING_CONCURRENCY, passwordHashingLoad } from '../../src/services/passwords.js';
import { LoginDocument, SecurityDoubleLoginDocument } from '../generated/graphql.js';
import { createUserAndLogin, loginAdmin } from '../support/accounts.js';
import { ADMIN, createTestStore, TEST_SCRYPT_COST, type TestStore } from '../support/store.js';

/**
 * Issue 9, item 10: `login` aliased 30 times in one request ran 30 slow
 * password hashes, nothing throttled guessing, and hashing could take every
 * thread of libuv's pool. Now: one `login` per request, failed sign-ins lock
 * a username or an address out for growing times, hashing runs on a small
 * bounded pool, and the default scrypt cost is OWASP's minimum, with
 * weaker stored hashes replaced at sign-in.
 */
let store: TestStore;

/** A login sent as an HTTP client from `address` would send it. */
async function loginFrom(address: string | null, username: string, password: string) {
  const response = await store.app.fetch(
    'http://store.test/graphql',
    { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: print(LoginDocument), variables: { input: { username, password } } }) },
    address ? { req: { socket: { remoteAddress: address } } } : {},
  );
  const body = (await response.json()) as { data: { login: { __typename: string; message?: string } } };
  return body.data.login;
}

const tokenCount = () => store.database.db.prisma.token.count();

beforeAll(async () => {
  // Today's cost is twice what the bootstrapped admin's hash was made with (TEST_SCRYPT_COST).
  store = await createTestStore({ settings: { scryptCost: TEST_SCRYPT_COST * 2 } });
  const admin = await loginAdmin(store);
  for (const name of ['kirk', 'spock', 'uhura', 'sulu']) await createUserAndLogin(store, admin, name);
});
afterAll(() => store.close());

describe('one login per request', () => {
  it('refuses a document that calls login twice (aliases), and signs nobody in', async () => {
    const before = await tokenCount();
    const input = { username: 'kirk', password: 'kirk-password' };
    const result = await store.execute(SecurityDoubleLoginDocument, { a: input, b: input });
    expect(result.data ?? null).toBeNull();
    expect(result.errors?.[0]?.message).toMatch(/login. may appear only once/);
    expect(await tokenCount()).toBe(before);
  });

  it('counts logins inside fragments too', async () => {
    const query = `mutation($i: LoginInput!) { ...A ...B }
      fragment A on Mutation { a: login(input: $i) { __typename } }
      fragment B on Mutation { b: login(input: $i) { __typename } }`;
    const response = await store.app.fetch('http://store.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query, variables: { i: { username: 'kirk', password: 'kirk-password' } } }),
    });
    const body = (await response.json()) as { data?: unknown; errors?: Array<{ message: string }> };
    expect(body.data ?? null).toBeNull();
    expect(body.errors?.[0]?.message).toMatch(/only once/);
  });
});

describe('failed sign-ins', () => {
  it('lock a username out after five failures, even with the right password, without touching other users', async () => {
    for (let attempt = 0; attempt < 5; attempt++) {
      expect(await loginFrom(null, 'spock', 'wrong')).toMatchObject({ __typename: 'AuthenticationError', message: 'Unknown username or wrong password' });
    }
    expect(await loginFrom(null, 'spock', 'wrong')).toMatchObject({ __typename: 'AuthenticationError', message: 'Unknown username or wrong password' });
    const before = await tokenCount();
    const locked = await loginFrom(null, 'spock', 'spock-password');
    expect(locked).toMatchObject({ __typename: 'AuthenticationError' });
    expect(locked.message).toMatch(/Too many failed sign-ins .* try again in \d+ s/);
    // Case does not give a fresh budget.
    expect((await loginFrom(null, 'SPOCK', 'spock-password')).message).toMatch(/Too many failed sign-ins/);
    expect(await tokenCount()).toBe(before);
    expect((await loginFrom(null, 'kirk', 'kirk-password')).__typename).toBe('LoginSuccess');
  });

  it('lock a client address out after twenty failures, whatever the usernames, and only that address', async () => {
    for (let attempt = 0; attempt < 21; attempt++) {
      expect((await loginFrom('192.0.2.7', `nobody${attempt % 4}`, 'guess')).message).toBe('Unknown username or wrong password');
    }
    expect((await loginFrom('192.0.2.7', 'uhura', 'uhura-password')).message).toMatch(/Too many failed sign-ins/);
    expect((await loginFrom('198.51.100.1', 'uhura', 'uhura-password')).__typename).toBe('LoginSuccess');
  });
});

describe('the lockout', () => {
  afterEach(() => vi.useRealTimers());

  it('doubles with each further failure, up to a limit, and a success clears the username', async () => {
    vi.useFakeTimers({ now: new Date('2026-01-01T00:00:00Z') });
    const throttle = new LoginThrottle({ freeFailuresPerUsername: 2, freeFailuresPerAddress: 100, maxLockoutSeconds: 8 });
    const waits: number[] = [];
    for (let failure = 0; failure < 7; failure++) {
      await throttle.recordFailure('kirk', '192.0.2.1');
      const wait = await throttle.secondsToWait('kirk', '192.0.2.9');
      waits.push(wait);
      vi.advanceTimersByTime(wait * 1000);
    }
    expect(waits).toEqual([0, 0, 1, 2, 4, 8, 8]);
    await throttle.recordFailure('kirk', null);
    expect(await throttle.secondsToWait('kirk', null)).toBe(8);
    await throttle.recordSuccess('kirk');
    expect(await throttle.secondsToWait('kirk', null)).toBe(0);
  });
});

describe('password hashing', () => {
  it("defaults to OWASP's minimum scrypt cost, N = 2^17", () => {
    expect(loadConfig({}).scryptCost).toBe(2 ** 17);
  });

  it('replaces a hash weaker than the configured cost at sign-in', async () => {
    const prisma = store.database.db.prisma;
    const hashOf = async () => (await prisma.user.findUniqueOrThrow({ where: { username: ADMIN.username } })).passwordHash;
    // A hash made before the cost was raised (as the bootstrapped admin's was).
    await prisma.user.update({ where: { username: ADMIN.username }, data: { passwordHash: await hashPassword(ADMIN.password, TEST_SCRYPT_COST) } });
    expect(await hashOf()).toMatch(new RegExp(`^scrypt\\$${TEST_SCRYPT_COST}\\$8\\$1\\$`));
    await loginAdmin(store);
    expect(await hashOf()).toMatch(new RegExp(`^scrypt\\$${TEST_SCRYPT_COST * 2}\\$8\\$1\\$`));
    // The new hash checks the same password.
    await loginAdmin(store);
  });

  it(`runs at most ${PASSWORD_HASHING_CONCURRENCY} hashes at once; the others wait their turn`, async () => {
    const hashes = Array.from({ length: 6 }, (_, i) => hashPassword(`password-${i}`, 2 ** 12));
    await new Promise((resolve) => setImmediate(resolve));
    expect(passwordHashingLoad()).toEqual({ running: PASSWORD_HASHING_CONCURRENCY, waiting: 6 - PASSWORD_HASHING_CONCURRENCY });
    await Promise.all(hashes);
    expect(passwordHashingLoad()).toEqual({ running: 0, waiting: 0 });
  });
});
