import type { ServiceContext } from './context.js';

/**
 * What a read's answer depends on besides the database, so that the answer
 * may be kept and served again (src/http/read-cache.ts) only while it holds.
 * The database side is ReadVersion (every committed write that changes what
 * reads answer moves it); this covers the rest:
 * - the clock: a read that computes from the time says until when what it
 *   computed holds (a branch expiring); a read that takes the time without
 *   saying so (`ServiceContext.now`) makes the answer unfit for keeping;
 * - data that changes without moving ReadVersion (download statistics,
 *   token use times): reads showing it call `answerNotReusable`.
 */
export class ReadValidity {
  private reusable = true;
  private until = Number.POSITIVE_INFINITY;

  constructor(private readonly clock: () => Date) {}

  /** The time, for a read that then reports every moment its answer changes (`changesAt`). */
  nowWithHorizon(): Date {
    return this.clock();
  }

  /** What was computed from the clock changes at `at` (if that is in the future). */
  changesAt(at: Date): void {
    this.until = Math.min(this.until, at.getTime());
  }

  notReusable(): void {
    this.reusable = false;
  }

  /** Until when (epoch ms) the answer holds, as far as the clock goes; null when it may not be kept at all. */
  validUntil(): number | null {
    return this.reusable ? this.until : null;
  }
}

/**
 * Makes `ctx` record what its answer depends on: from now on ctx.now()
 * marks the answer as not reusable (code that knows when its result
 * changes uses `nowWithHorizon` instead).
 */
export function trackReadValidity(ctx: ServiceContext): ReadValidity {
  const clock = ctx.now;
  const validity = new ReadValidity(clock);
  ctx.readValidity = validity;
  ctx.now = () => {
    validity.notReusable();
    return clock();
  };
  return validity;
}

/** The time, for a read that reports when its result changes through `answerChangesAt`. */
export function nowWithHorizon(ctx: ServiceContext): Date {
  return ctx.readValidity ? ctx.readValidity.nowWithHorizon() : ctx.now();
}

export function answerChangesAt(ctx: ServiceContext, at: Date): void {
  ctx.readValidity?.changesAt(at);
}

/** The answer shows something that changes without a write moving ReadVersion: never serve it again. */
export function answerNotReusable(ctx: ServiceContext): void {
  ctx.readValidity?.notReusable();
}
