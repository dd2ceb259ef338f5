/**
 * Options for transactions that write under row locks. The embedded
 * database has a single connection, so concurrent transactions queue for
 * it: waiting for a turn must not fail a request that the server would
 * answer a moment later.
 */
export const WRITE_TRANSACTION = { maxWait: 60_000, timeout: 60_000 } as const;
