// Every time limit of the test suite derives from one setting, so that a slow
// or loaded machine needs one change (TEST_TIME_SCALE=3 npm test), and every
// limit of a test is larger than the operations it waits for: a spawned
// server gets SERVER_START_MS to answer /health, and a test that starts n
// servers gets more than n times that.

/** Multiplies every time limit; 1 is generous for an idle 2-core machine. */
export const TIME_SCALE = parseScale(process.env.TEST_TIME_SCALE);

/** A time limit (ms) that suits an idle machine, scaled like every other: for waits that are not server starts. */
export function scaled(ms: number): number {
  return ms * TIME_SCALE;
}

/** How long a spawned server (or migration child) may take to become ready. */
export const SERVER_START_MS = 60_000 * TIME_SCALE;

/** How long a spawned server may take to exit after a signal (its shutdown deadline is 10 s). */
export const SERVER_STOP_MS = 30_000 * TIME_SCALE;

/** The time limit of a test that waits for `operations` server starts (or child migrations), with a margin. */
export function timeLimitFor(operations: number): number {
  return (operations + 1) * SERVER_START_MS;
}

/** The default time limit of a test: one slow operation and the margin. */
export const TEST_TIMEOUT_MS = timeLimitFor(1);

/** The default time limit of a hook (beforeAll may seed a catalogue or start a server). */
export const HOOK_TIMEOUT_MS = timeLimitFor(2);

function parseScale(value: string | undefined): number {
  if (value === undefined || value.trim() === '') return 1;
  const scale = Number(value);
  if (!Number.isFinite(scale) || scale <= 0) throw new Error(`TEST_TIME_SCALE=${JSON.stringify(value)}: expected a positive number such as 1 or 2.5`);
  return scale;
}
