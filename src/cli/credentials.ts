import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** The store a bare `charmstore` talks to: `npm start`'s default address. */
export const DEFAULT_STORE_URL = 'http://127.0.0.1:4000';

/**
 * What `login` keeps in the config dir and `login --export` writes to a file.
 * CHARMSTORE_AUTH takes either this JSON or a bare token.
 */
export interface Credentials {
  url: string;
  token: string;
  username?: string;
  expiresAt?: string | null;
  /** The limits of an exported token, for the reader's information (the store enforces them). */
  permissions?: string[];
  entities?: string[];
  channels?: string[];
}

export type Env = Record<string, string | undefined>;

/** `$XDG_CONFIG_HOME/charmstore` (default `~/.config/charmstore`): where `login` keeps its token. */
export function configDir(env: Env): string {
  const base = env.XDG_CONFIG_HOME || path.join(env.HOME || os.homedir(), '.config');
  return path.join(base, 'charmstore');
}

export function credentialsPath(env: Env): string {
  return path.join(configDir(env), 'credentials.json');
}

/** The stored credentials, or undefined when not logged in. */
export async function readStoredCredentials(env: Env): Promise<Credentials | undefined> {
  let text: string;
  try {
    text = await fs.readFile(credentialsPath(env), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  return parseCredentials(text, credentialsPath(env));
}

/** Parses exported or stored credentials (JSON with `url` and `token`). */
export function parseCredentials(text: string, source: string): Credentials {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`${source} is not valid JSON: log in again (charmstore login)`);
  }
  const candidate = value as Partial<Credentials>;
  if (typeof candidate?.token !== 'string' || typeof candidate.url !== 'string') {
    throw new Error(`${source} lacks "url" and "token": log in again (charmstore login)`);
  }
  return candidate as Credentials;
}

/**
 * Writes credentials readable by their owner only (0600; the directory 0700):
 * the token is as good as a password until it expires.
 */
export async function writeCredentialsFile(file: string, credentials: Credentials): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  // Remove first: `mode` only applies when the file is created, and an old file may be wider.
  await fs.rm(file, { force: true });
  await fs.writeFile(file, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
}

export async function storeCredentials(env: Env, credentials: Credentials): Promise<string> {
  const file = credentialsPath(env);
  await writeCredentialsFile(file, credentials);
  return file;
}

export async function forgetCredentials(env: Env): Promise<void> {
  await fs.rm(credentialsPath(env), { force: true });
}

/** Where the store is and who calls it, after flags, environment and stored credentials. */
export interface Connection {
  url: string;
  token?: string;
}

/**
 * Resolves the store address (`--url`, CHARMSTORE_URL, the stored or exported
 * credentials' url, the default) and the token (CHARMSTORE_AUTH, a bare token
 * or an exported credentials file's content; else the stored credentials when
 * they belong to that store; else none: anonymous).
 */
export async function resolveConnection(env: Env, urlFlag: string | undefined): Promise<Connection> {
  const fromEnv = env.CHARMSTORE_AUTH?.trim();
  const exported = fromEnv?.startsWith('{') ? parseCredentials(fromEnv, 'CHARMSTORE_AUTH') : undefined;
  const stored = fromEnv ? undefined : await readStoredCredentials(env);
  const url = normalizeUrl(urlFlag ?? env.CHARMSTORE_URL ?? exported?.url ?? stored?.url ?? DEFAULT_STORE_URL);
  if (exported) return { url, token: exported.token };
  if (fromEnv) return { url, token: fromEnv };
  if (stored && normalizeUrl(stored.url) === url) return { url, token: stored.token };
  return { url };
}

export function normalizeUrl(url: string): string {
  return url.replace(/\/+$/, '');
}
