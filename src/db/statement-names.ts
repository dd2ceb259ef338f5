/**
 * Names for the hand-written statements that recur, so that `pg` sends them
 * as named prepared statements: PostgreSQL then parses and analyses each text
 * once per connection, and keeps its plan, instead of doing it for every
 * execution. The write pipeline's statements are long (the locking read with
 * the caller's rights, a release's read of the channel maps, its CTE write
 * with the audit record): parsing, analysing and planning them cost ~2 ms of
 * a release's ~9 ms at concurrency 1, more than executing them
 * (docs/performance.md, "What remains").
 *
 * Bounded, because every name costs memory in every connection of the pool
 * (`pg` never deallocates them): a text is named only once it has been seen
 * twice (a statement whose text varies with its input, such as a list of
 * values spelled out, rarely repeats), and at most `capacity` texts are named;
 * the rest are sent unnamed, as before.
 */
export class StatementNames {
  private readonly names = new Map<string, string>();
  private readonly seenOnce = new Set<string>();

  constructor(
    private readonly capacity = 100,
    private readonly seenCapacity = 1_000,
  ) {}

  /** The name to prepare `text` under, or undefined to send it unnamed. */
  nameOf(text: string): string | undefined {
    const name = this.names.get(text);
    if (name !== undefined || this.names.size >= this.capacity) return name;
    if (!this.seenOnce.delete(text)) {
      // Texts seen once are forgotten in bulk: the set only has to catch a text recurring soon.
      if (this.seenOnce.size >= this.seenCapacity) this.seenOnce.clear();
      this.seenOnce.add(text);
      return undefined;
    }
    const named = `store_${this.names.size}`;
    this.names.set(text, named);
    return named;
  }
}

/**
 * SQLSTATE 0A000 with a prepared statement: "cached plan must not change result type", when a migration (another
 * process's, in a rolling upgrade) changed the columns a prepared `SELECT t.*` or `RETURNING *` returns. The statement
 * fails on that connection for good, so the connection is discarded: its replacement prepares the new text, and the
 * write pipeline runs the write again (retry.ts).
 */
export function isStalePreparedStatement(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return code === '0A000' && typeof message === 'string' && /cached plan must not change result type/i.test(message);
}
