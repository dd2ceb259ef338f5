import { print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { PushDocument, ViewerDocument } from '../generated/graphql.js';
import { createUserAndLogin, loginAdmin } from '../support/accounts.js';
import { storeState } from '../support/push.js';
import { createTestStore, type TestStore } from '../support/store.js';
import { charmZip } from '../support/zip.js';

/**
 * Issue 9, item 11: CORS echoed any Origin with credentials allowed, and a
 * cross-site form could post a multipart GraphQL request. Allowed origins
 * are now a setting (STORE_CORS_ORIGINS; none by default = same origin
 * only), and requests a browser would send cross-site without a preflight
 * (multipart, url-encoded and text/plain bodies, GET) need a CSRF header.
 */
const DASHBOARD = 'https://dashboard.example.com';
let store: TestStore;
let kirk: string;

function graphql(init: RequestInit & { headers?: Record<string, string> }) {
  return store.app.fetch('http://store.test/graphql', { method: 'POST', ...init });
}

function pushForm(): FormData {
  const form = new FormData();
  form.set('operations', JSON.stringify({ query: print(PushDocument), variables: { input: { archive: null } } }));
  form.set('map', JSON.stringify({ 0: ['variables.input.archive'] }));
  form.set('0', new File([new Uint8Array(charmZip({ name: 'csrf' }))], 'charm.zip'));
  return form;
}

beforeAll(async () => {
  store = await createTestStore({ corsOrigins: [DASHBOARD] });
  kirk = await createUserAndLogin(store, await loginAdmin(store), 'kirk');
});
afterAll(() => store.close());

describe('CORS', () => {
  const viewer = JSON.stringify({ query: print(ViewerDocument) });

  it('answers a foreign origin without any CORS header, preflight included', async () => {
    const answer = await graphql({ headers: { origin: 'https://evil.example', 'content-type': 'application/json' }, body: viewer });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('access-control-allow-origin')).toBeNull();
    expect(answer.headers.get('access-control-allow-credentials')).toBeNull();
    const preflight = await store.app.fetch('http://store.test/graphql', {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization' },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('allows a configured origin, with credentials', async () => {
    const preflight = await store.app.fetch('http://store.test/graphql', {
      method: 'OPTIONS',
      headers: { origin: DASHBOARD, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBe(DASHBOARD);
    expect(preflight.headers.get('access-control-allow-credentials')).toBe('true');
    expect(preflight.headers.get('access-control-allow-headers')).toContain('authorization');
  });

  it('is same-origin only by default, and STORE_CORS_ORIGINS takes a list of exact origins', () => {
    expect(loadConfig({}).corsOrigins).toEqual([]);
    expect(loadConfig({ STORE_CORS_ORIGINS: `${DASHBOARD}, http://localhost:3000` }).corsOrigins).toEqual([DASHBOARD, 'http://localhost:3000']);
    expect(() => loadConfig({ STORE_CORS_ORIGINS: 'https://dashboard.example.com/app' })).toThrow(/STORE_CORS_ORIGINS/);
    expect(() => loadConfig({ STORE_CORS_ORIGINS: '*' })).toThrow(/STORE_CORS_ORIGINS/);
  });
});

describe('CSRF prevention', () => {
  it('refuses a multipart push without a CSRF header (what a cross-site form would send), and stores nothing', async () => {
    const before = await storeState(store);
    const answer = await graphql({ headers: { authorization: `Bearer ${kirk}` }, body: pushForm() });
    expect(answer.status).toBe(403);
    expect(JSON.stringify(await answer.json())).toContain('CSRF');
    expect(await storeState(store)).toEqual(before);
  });

  it.each(['x-graphql-yoga-csrf', 'apollo-require-preflight'])('accepts the multipart push with the %s header', async (header) => {
    const answer = await graphql({ headers: { authorization: `Bearer ${kirk}`, [header]: '1' }, body: pushForm() });
    expect(answer.status).toBe(200);
    const body = (await answer.json()) as { data: { push: { __typename: string } } };
    expect(body.data.push.__typename).toBe('PushSuccess');
  });

  it('refuses url-encoded and text/plain posts and header-less GET queries, but not JSON posts', async () => {
    const query = print(ViewerDocument);
    const form = await graphql({ headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ query }).toString() });
    expect(form.status).toBe(403);
    const text = await graphql({ headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ query }) });
    expect(text.status).toBe(403);
    const get = await store.app.fetch(`http://store.test/graphql?query=${encodeURIComponent(query)}`, { headers: { accept: 'application/json' } });
    expect(get.status).toBe(403);
    const getWithHeader = await store.app.fetch(`http://store.test/graphql?query=${encodeURIComponent(query)}`, {
      headers: { accept: 'application/json', 'x-graphql-yoga-csrf': '1' },
    });
    expect(getWithHeader.status).toBe(200);
    const json = await graphql({ headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
    expect(json.status).toBe(200);
  });
});
