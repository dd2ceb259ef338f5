import { Mutex } from 'async-mutex';

/**
 * One FIFO queue per entity, in front of its row lock: the writers of one
 * entity in this process wait here, holding nothing, instead of each holding
 * a pool connection (PostgreSQL) or the single connection (PGlite) while
 * they wait for the row lock. Across processes the row lock still orders
 * them; here at most one transaction per entity is open at a time.
 */
const queues = new Map<string, Mutex>();
/** Writers waiting (not yet first in line), by key: for tests and diagnostics. */
const waiting = new Map<string, number>();

/** How many writers of this process wait in the entity's queue now. */
export function writersWaiting(key: string): number {
  return waiting.get(key) ?? 0;
}

/**
 * Runs `work` once it is first in line for every one of `keys` (entity
 * keys, `owner/name`). Several keys are taken in sorted order, so two
 * commands naming the same entities never wait for each other in a cycle.
 */
export async function inEntityQueues<T>(keys: readonly string[], work: () => Promise<T>): Promise<T> {
  const sorted = [...new Set(keys)].sort();
  const taken: Array<{ key: string; mutex: Mutex; release: () => void }> = [];
  try {
    for (const key of sorted) {
      let mutex = queues.get(key);
      if (!mutex) queues.set(key, (mutex = new Mutex()));
      waiting.set(key, writersWaiting(key) + 1);
      let release: () => void;
      try {
        release = await mutex.acquire();
      } finally {
        const left = writersWaiting(key) - 1;
        if (left > 0) waiting.set(key, left);
        else waiting.delete(key);
      }
      taken.push({ key, mutex, release });
    }
    return await work();
  } finally {
    for (const { key, mutex, release } of taken.reverse()) {
      release();
      // Nobody waiting: drop the queue, so the map holds only busy entities.
      if (!mutex.isLocked() && queues.get(key) === mutex) queues.delete(key);
    }
  }
}

/** The queue key of an entity: its owner and name, unique and known before its id (a first push). */
export function entityQueueKey(owner: string, name: string): string {
  return `${owner}/${name}`;
}
