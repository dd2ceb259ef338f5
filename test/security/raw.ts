import type { TestStore } from '../support/store.js';

export interface RawAnswer {
  status: number;
  /** The parsed JSON body (null when it is not JSON). */
  body: { data?: unknown; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> } | null;
  text: string;
}

/**
 * Sends a GraphQL document as typed by a client (not a generated typed
 * document): the malformed and probing requests of the security tests.
 */
export async function rawGraphQL(store: TestStore, query: string, variables: Record<string, unknown> = {}, token?: string): Promise<RawAnswer> {
  const response = await store.request('/graphql', {
    method: 'POST',
    token,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  return answerOf(response);
}

export async function answerOf(response: Response): Promise<RawAnswer> {
  const text = await response.text();
  let body: RawAnswer['body'] = null;
  try {
    body = JSON.parse(text) as RawAnswer['body'];
  } catch {
    body = null;
  }
  return { status: response.status, body, text };
}

/** A Pothos Prisma cursor for a row id, as a client could forge one. */
export function idCursor(id: number | string): string {
  return Buffer.from(`GPC:N:${id}`).toString('base64');
}
