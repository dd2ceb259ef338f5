import type { GarbageReport } from '../../src/services/blobs/collect-garbage.js';

/**
 * Between passes while every worker sleeps: short next to an upload's
 * lifetime (1-2 s). A worker that wakes starts a pass at once (see `busy`),
 * so a longer pause does not let a push go unraced; at 40 ms, 50-80% of the
 * passes were idle ones (~0.7 s of CPU per test file on the file store, ~1.2 s
 * on s3rver, measured), for no more blobs collected.
 */
const IDLE_PAUSE_MS = 150;

export interface RacingCollector {
  /** Each pass's report, in order. */
  reports: GarbageReport[];
  /** A worker's pause (waiting for its upload to expire): the collector paces itself while all workers pause. */
  sleep(ms: number): Promise<void>;
  /** Runs one worker; it counts as pushing except while in `sleep`. */
  worker(run: () => Promise<void>): Promise<void>;
  /** Stops after the pass under way. */
  stop(): Promise<void>;
}

/**
 * Runs the blob collector back to back, racing the pushes of the workers
 * started with `worker`: while any worker is between two sleeps (uploading,
 * pushing), a new pass starts the moment the last one ends, as before. While
 * every worker sleeps nothing can race it, and passes back to back only burned
 * CPU (a core, seconds per test file): the collector then waits IDLE_PAUSE_MS
 * between passes, still removing an expired upload's blob within that
 * time of its expiry.
 */
export function racingCollector(pass: () => Promise<GarbageReport>): RacingCollector {
  const reports: GarbageReport[] = [];
  let pushing = 0;
  let collecting = true;
  let wake: (() => void) | undefined;
  const loop = (async () => {
    while (collecting) {
      reports.push(await pass());
      if (pushing === 0 && collecting) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, IDLE_PAUSE_MS);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wake = undefined;
      }
    }
  })();
  const busy = (delta: number) => {
    pushing += delta;
    if (pushing > 0) wake?.();
  };
  return {
    reports,
    async sleep(ms) {
      busy(-1);
      try {
        await new Promise((resolve) => setTimeout(resolve, ms));
      } finally {
        busy(1);
      }
    },
    async worker(run) {
      busy(1);
      try {
        await run();
      } finally {
        busy(-1);
      }
    },
    async stop() {
      collecting = false;
      wake?.();
      await loop;
    },
  };
}
