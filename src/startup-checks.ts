// Checks the server makes before it loads the app or touches the database,
// so that a second server, or a port already taken, is refused in a moment
// with one clear line instead of after migrations and an EADDRINUSE stack.
// Node built-ins only: this module is loaded before the heavy imports.

import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

/** A start-up check failed; the message is meant for the operator, as is. */
export class StartupCheckError extends Error {}

/** The lock file in the data directory while a server uses its embedded database. */
export const LOCK_FILE_NAME = 'store.lock';

/**
 * Takes the data directory for this process: creates `<dir>/store.lock`
 * exclusively, holding our pid. A lock whose process is gone (a crash, a
 * SIGKILL, a container restart where we got the same pid) is stale and is
 * replaced. Returns the function that releases it (synchronous, so that it
 * can run on 'exit').
 *
 * A pid file rather than an mtime-refreshed lock (proper-lockfile): the
 * server's event loop can be blocked for seconds by the embedded database
 * under load, which would make a refreshed lock look stale; and the pid lets
 * the message name the process that holds the directory.
 */
export function lockDataDir(dir: string): () => void {
  const lockPath = path.join(dir, LOCK_FILE_NAME);
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (error) {
    throw new StartupCheckError(`The data directory ${dir} is not a readable and writable directory: ${describe(error)}`);
  }
  for (let attempt = 0; ; attempt++) {
    try {
      fs.writeFileSync(lockPath, `${process.pid}\n`, { flag: 'wx' });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new StartupCheckError(`The data directory ${dir} is not a readable and writable directory: ${describe(error)}`);
      }
    }
    const holder = readLockHolder(lockPath);
    if (holder !== undefined && holder !== process.pid && isAlive(holder)) {
      throw new StartupCheckError(
        `Another charm store (pid ${holder}) is using the data directory ${dir}: stop it first, or give this one another STORE_DATA_DIR ` +
          `(if pid ${holder} is not a charm store, delete ${lockPath})`,
      );
    }
    if (attempt >= 2) throw new StartupCheckError(`Cannot take the lock ${lockPath}: another server keeps replacing it`);
    // Stale: its process is gone. Two servers starting at once may both get
    // here; only one of them then creates the file.
    fs.rmSync(lockPath, { force: true });
  }
  return () => {
    if (readLockHolder(lockPath) === process.pid) fs.rmSync(lockPath, { force: true });
  };
}

function readLockHolder(lockPath: string): number | undefined {
  try {
    const pid = Number.parseInt(fs.readFileSync(lockPath, 'utf8'), 10);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Fails with a one-line message when `host:port` cannot be listened on
 * (taken, or not allowed). Port 0 always succeeds. The real listen can
 * still lose a race; listenProblem words that failure the same way.
 */
export async function checkPortFree(host: string, port: number): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', (error) => reject(new StartupCheckError(listenProblem(host, port, error))));
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve()));
  });
}

/** The operator's message for a failed listen on `host:port`. */
export function listenProblem(host: string, port: number, error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') return `Port ${port} on ${host} is already in use (another charm store?): stop that process or set PORT to a free port`;
  if (code === 'EACCES') return `Not allowed to listen on port ${port} on ${host}: use a port above 1023 or grant the capability`;
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') return `HOST=${host} is not an address of this machine: use 127.0.0.1, 0.0.0.0 or one of its addresses`;
  return `Cannot listen on ${host}:${port}: ${describe(error)}`;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
