import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import pLimit from 'p-limit';

/**
 * Passwords are hashed with scrypt (Node's built-in memory-hard KDF, so there
 * is no native dependency to build). The parameters live in the hash, so the
 * cost can be raised later without invalidating stored passwords: a sign-in
 * with weaker stored parameters rehashes the password (needsRehash).
 */
const KEY_LENGTH = 64;
const BLOCK_SIZE = 8;
const PARALLELISM = 1;

/**
 * At most this many hashes run at once in the process. scrypt runs on
 * libuv's thread pool (4 threads by default), which file reads and writes
 * share: unbounded, a burst of sign-ins (each ~128 MiB and a few hundred ms
 * at N=2^17) would occupy every thread and stall blob uploads and downloads.
 * Further hashes wait their turn here instead.
 */
export const PASSWORD_HASHING_CONCURRENCY = 2;
const hashingPool = pLimit(PASSWORD_HASHING_CONCURRENCY);

/** Hashes running and waiting right now (for tests and diagnostics). */
export function passwordHashingLoad(): { running: number; waiting: number } {
  return { running: hashingPool.activeCount, waiting: hashingPool.pendingCount };
}

function derive(password: string, salt: Buffer, options: { N: number; r: number; p: number }): Promise<Buffer> {
  // scrypt needs 128 * N * r * p bytes; leave room above that.
  const scryptOptions: ScryptOptions = { ...options, maxmem: 256 * options.N * options.r * options.p };
  return hashingPool(
    () =>
      new Promise<Buffer>((resolve, reject) => {
        scrypt(password.normalize('NFKC'), salt, KEY_LENGTH, scryptOptions, (error, key) => (error ? reject(error) : resolve(key)));
      }),
  );
}

export async function hashPassword(password: string, cost: number): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, { N: cost, r: BLOCK_SIZE, p: PARALLELISM });
  return ['scrypt', cost, BLOCK_SIZE, PARALLELISM, salt.toString('base64'), key.toString('base64')].join('$');
}

interface StoredHash {
  N: number;
  r: number;
  p: number;
  salt: Buffer;
  key: Buffer;
}

function parseStoredHash(stored: string): StoredHash | null {
  const [scheme, n, r, p, salt, key] = stored.split('$');
  if (scheme !== 'scrypt' || !n || !r || !p || !salt || !key) return null;
  return { N: Number(n), r: Number(r), p: Number(p), salt: Buffer.from(salt, 'base64'), key: Buffer.from(key, 'base64') };
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const hash = parseStoredHash(stored);
  if (!hash) return false;
  const actual = await derive(password, hash.salt, { N: hash.N, r: hash.r, p: hash.p });
  return actual.length === hash.key.length && timingSafeEqual(actual, hash.key);
}

/** Whether a stored hash is weaker than (or different from) what `cost` asks for today. */
export function needsRehash(stored: string, cost: number): boolean {
  const hash = parseStoredHash(stored);
  return !hash || hash.N < cost || hash.r !== BLOCK_SIZE || hash.p !== PARALLELISM;
}

const dummyHashes = new Map<number, Promise<string>>();

/**
 * A hash to check against when the user does not exist, so that an unknown
 * user costs the same KDF work as a wrong password and timing reveals nothing.
 */
export function dummyPasswordHash(cost: number): Promise<string> {
  let hash = dummyHashes.get(cost);
  if (!hash) {
    hash = hashPassword(randomBytes(16).toString('hex'), cost);
    dummyHashes.set(cost, hash);
  }
  return hash;
}
