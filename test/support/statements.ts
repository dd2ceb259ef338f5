import type { TestStore } from './store.js';

/**
 * Runs `operation` and returns its result with the SQL statements the store
 * sent meanwhile (the database's onStatement hook: every statement on the
 * wire, COMMIT included, not the BEGIN the driver sends before a
 * transaction). Statement budgets are asserted on these.
 */
export async function withStatements<R>(store: TestStore, operation: () => Promise<R>): Promise<{ result: R; statements: string[] }> {
  const statements: string[] = [];
  const stop = store.database.db.onStatement((sql) => statements.push(sql));
  try {
    return { result: await operation(), statements };
  } finally {
    stop();
  }
}
