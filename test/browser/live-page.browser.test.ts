/**
 * End-to-end: the live channel-map page (/ui/) in Debian's Chromium
 * (playwright-core; `npm run test:browser`). A release made through the API
 * shows on the open page without a reload, and the page asks no host but the
 * store (it works offline).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type ServerProcess } from '../support/process.js';
import { charmZip } from '../support/zip.js';

const enabled = process.env.CHARMSTORE_BROWSER_TEST === '1';
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHARM = 'cs:~root/livepage';

describe.skipIf(!enabled)('the live channel-map page', () => {
  let server: ServerProcess;
  let context: BrowserContext;
  let page: Page;
  let dataDir: string;
  let profileDir: string;
  let token: string;
  const requests: string[] = [];

  async function graphql(query: string, variables: Record<string, unknown> = {}) {
    const response = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    return (await response.json()) as { data: Record<string, any> };
  }

  async function push(note: string) {
    const form = new FormData();
    form.set('operations', JSON.stringify({ query: 'mutation($input: PushInput!) { push(input: $input) { __typename } }', variables: { input: { archive: null, url: CHARM } } }));
    form.set('map', JSON.stringify({ 0: ['variables.input.archive'] }));
    form.set('0', new File([new Uint8Array(charmZip({ name: 'livepage', revisionNote: note }))], 'c.zip'));
    const response = await fetch(`${server.url}/graphql`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'x-graphql-yoga-csrf': '1' }, body: form });
    expect(((await response.json()) as { data: { push: { __typename: string } } }).data.push.__typename).toBe('PushSuccess');
  }

  async function release(revision: number, channel: string) {
    const result = await graphql('mutation($input: ReleaseInput!) { release(input: $input) { __typename } }', { input: { url: CHARM, channels: [channel], revision } });
    expect(result.data.release.__typename).toBe('ReleaseSuccess');
  }

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'charmstore-livepage-'));
    server = await startServer({ STORE_DATA_DIR: dataDir, STORE_ADMIN_USERNAME: 'root', STORE_ADMIN_PASSWORD: 'correct-horse-battery' });
    token = (await graphql('mutation { login(input: {username: "root", password: "correct-horse-battery"}) { ... on LoginSuccess { token } } }')).data.login.token;
    await push('zero');
    await push('one');
    await graphql('mutation($input: SetPrivateInput!) { setPrivate(input: $input) { __typename } }', { input: { url: CHARM, private: false } });
    await release(0, 'stable');

    profileDir = mkdtempSync(path.join(tmpdir(), 'charmstore-chromium-profile-'));
    context = await chromium.launchPersistentContext(profileDir, {
      executablePath: chromiumPath,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    context.on('request', (request) => requests.push(request.url()));
    await context.route('**/*', (route) => (new URL(route.request().url()).hostname === '127.0.0.1' ? route.continue() : route.abort('internetdisconnected')));
    page = context.pages()[0] ?? (await context.newPage());
  });

  afterAll(async () => {
    await context?.close().catch(() => undefined);
    await server?.stop();
    for (const dir of [dataDir, profileDir]) if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('finds the charm, shows its channel map, and updates it live when a release is made through the API', async () => {
    await page.goto(`${server.url}/ui/`);
    await page.fill('#search', 'livepage');
    await page.waitForSelector('#results li', { timeout: 30_000 });
    const results = await page.textContent('#results');
    expect(results).toContain(CHARM);
    await page.click(`a[href="#${encodeURIComponent(CHARM)}"]`);
    const stable = page.locator('td[data-channel="latest/stable"]');
    const edge = page.locator('td[data-channel="latest/edge"]');
    await expect.poll(() => stable.textContent(), { timeout: 30_000 }).toBe('0');
    await expect.poll(() => edge.textContent()).toBe('↑ 0');
    await expect.poll(() => page.textContent('#status'), { timeout: 30_000 }).toBe('live');
    // A marker that a reload would wipe.
    await page.evaluate(() => ((window as unknown as { notReloaded: boolean }).notReloaded = true));

    await release(1, 'edge');
    await expect.poll(() => edge.textContent(), { timeout: 30_000 }).toBe('1');
    await release(1, 'stable');
    await expect.poll(() => stable.textContent(), { timeout: 30_000 }).toBe('1');
    expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
    expect(await page.textContent('#history')).toContain('released 1 to latest/stable');
    expect(requests.filter((url) => new URL(url).hostname !== '127.0.0.1')).toEqual([]);
  });
});
