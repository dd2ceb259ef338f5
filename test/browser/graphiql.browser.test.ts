/**
 * End-to-end: the real server, GraphiQL at /graphql, in a real browser.
 *
 * Run with `npm run test:browser` (vitest.browser.config.ts). Needs Debian's
 * Chromium at /usr/bin/chromium (`apt-get install chromium`; .ci/run does it);
 * override with CHROMIUM_PATH. Playwright's own browser downloads are never
 * used.
 *
 * The server is started as a child process: by default `tsx src/main.ts`
 * (tsx's CLI run directly with node, not through npx: npx exits at once on
 * SIGTERM without waiting for, or reporting, the server's own exit).
 * BROWSER_TEST_SERVER_CMD replaces that command (split on spaces, no shell);
 * it gets PORT, HOST, STORE_DATA_DIR, STORE_ADMIN_USERNAME/PASSWORD and must
 * answer GET /health with 200 and serve GraphiQL at /graphql.
 *
 * Checks:
 *  - GraphiQL renders from a plain page navigation (Accept: text/html),
 *  - it opens with the example tabs of src/http/graphiql-tabs.ts, titled
 *    with their operation names,
 *  - it never asks any host but 127.0.0.1 (it must work offline),
 *  - typing `query BrowserCheck { __typename }` and pressing the run button shows
 *    {"data": {"__typename": "Query"}} in the result pane,
 *  - SIGTERM makes the server exit with code 0 within 10 s.
 * On failure a screenshot is written under the OS temp dir (path printed).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GRAPHIQL_TABS } from '../../src/http/graphiql-tabs.js';

const enabled = process.env.CHARMSTORE_BROWSER_TEST === '1';
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const HOST = '127.0.0.1';
const SHUTDOWN_LIMIT_MS = 10_000;

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

// GraphiQL 5 (bundled by @graphql-yoga/render-graphiql 5.x) selectors.
const SEL = {
  queryEditor: '.graphiql-query-editor .monaco-editor',
  queryLines: '.graphiql-query-editor .monaco-editor .view-lines',
  executeButton: 'button.graphiql-execute-button',
  response: '.graphiql-response',
  responseLines: '.graphiql-response .monaco-editor .view-lines',
  activeTab: '.graphiql-tab-active',
  tab: '.graphiql-tab',
} as const;

const OPERATION = 'BrowserCheck';
const QUERY = `query ${OPERATION} { __typename }`;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, HOST, () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function serverCommand(): { cmd: string; args: string[] } {
  const override = process.env.BROWSER_TEST_SERVER_CMD?.trim();
  if (override) {
    const [cmd, ...args] = override.split(/\s+/);
    return { cmd: cmd!, args };
  }
  const tsxCli = createRequire(path.join(repoRoot, 'package.json')).resolve('tsx/cli');
  return { cmd: process.execPath, args: [tsxCli, 'src/main.ts'] };
}

/** Is this request URL on the loopback host we serve from (or local to the page)? */
function isLocal(url: string): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  switch (u.protocol) {
    case 'data:':
    case 'about:':
      return true;
    case 'blob:':
      // blob:http://127.0.0.1:PORT/uuid — check the origin it belongs to.
      return isLocal(url.slice('blob:'.length));
    case 'http:':
    case 'https:':
    case 'ws:':
    case 'wss:':
      return u.hostname === HOST;
    default:
      return false;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!enabled)('GraphiQL in a real browser', () => {
  let server: ChildProcess | undefined;
  let serverExit: Promise<{ code: number | null; signal: NodeJS.Signals | null }> | undefined;
  let serverOutput = '';
  let dataDir = '';
  let profileDir = '';
  let context: BrowserContext | undefined;
  let baseUrl = '';
  const requests: string[] = [];
  const pageErrors: string[] = [];

  const tail = () => serverOutput.split('\n').slice(-60).join('\n');

  beforeAll(async () => {
    expect(existsSync(chromiumPath), `Chromium not found at ${chromiumPath} (apt-get install chromium)`).toBe(true);

    const port = await freePort();
    baseUrl = `http://${HOST}:${port}`;
    dataDir = mkdtempSync(path.join(tmpdir(), 'charmstore-browser-data-'));
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PORT: String(port),
      HOST,
      STORE_DATA_DIR: dataDir,
      STORE_ADMIN_USERNAME: 'admin',
      STORE_ADMIN_PASSWORD: 'browser-test-admin-password-0123456789',
      STORE_SHUTDOWN_TIMEOUT_MS: '5000',
    };
    // The embedded database in STORE_DATA_DIR, whatever the caller's shell has.
    delete env.DATABASE_URL;
    delete env.CHARMSTORE_BROWSER_TEST;
    for (const key of Object.keys(env)) if (key.startsWith('VITEST')) delete env[key];

    const { cmd, args } = serverCommand();
    server = spawn(cmd, args, { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
    server.stdout!.on('data', (d: Buffer) => (serverOutput += d.toString()));
    server.stderr!.on('data', (d: Buffer) => (serverOutput += d.toString()));
    const child = server;
    serverExit = new Promise((resolve) => {
      child.on('exit', (code, signal) => resolve({ code, signal }));
      child.on('error', (err) => {
        serverOutput += `\nspawn error: ${err.message}\n`;
        resolve({ code: null, signal: null });
      });
    });
    let exited = false;
    void serverExit.then(() => (exited = true));

    // Wait for GET /health → 200.
    const deadline = Date.now() + 90_000;
    let last = '';
    for (;;) {
      if (exited) throw new Error(`server exited before it was healthy: ${cmd} ${args.join(' ')}\n${tail()}`);
      try {
        const res = await fetch(`${baseUrl}/health`, { signal: AbortSignal.timeout(2000) });
        if (res.status === 200) break;
        last = `status ${res.status}`;
      } catch (err) {
        last = String(err);
      }
      if (Date.now() > deadline) throw new Error(`server not healthy after 90 s (${last})\n${tail()}`);
      await sleep(250);
    }

    profileDir = mkdtempSync(path.join(tmpdir(), 'charmstore-chromium-profile-'));
    context = await chromium.launchPersistentContext(profileDir, {
      executablePath: chromiumPath,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1280, height: 800 },
    });
    // Record everything the browser asks for; refuse anything off loopback so
    // the page behaves as it would on a machine with no network.
    context.on('request', (req) => requests.push(req.url()));
    await context.route('**/*', (route) =>
      isLocal(route.request().url()) ? route.continue() : route.abort('internetdisconnected'),
    );
  });

  afterAll(async () => {
    await context?.close().catch(() => {});
    if (server && server.exitCode === null && server.signalCode === null) {
      // The shutdown test did not run or did not finish: don't leave it behind.
      server.kill('SIGKILL');
      await Promise.race([serverExit, sleep(5000)]);
    }
    for (const dir of [profileDir, dataDir]) {
      if (dir) rmSync(dir, { recursive: true, force: true });
    }
  });

  async function onFailure(page: Page | undefined, err: unknown): Promise<never> {
    if (page) {
      const shot = path.join(tmpdir(), `graphiql-browser-failure-${Date.now()}.png`);
      try {
        await page.screenshot({ path: shot, fullPage: true });
        console.error(`screenshot of the failing page: ${shot}`);
      } catch (e) {
        console.error(`could not take a screenshot: ${String(e)}`);
      }
    }
    console.error(`requests made by the page:\n  ${requests.join('\n  ')}`);
    console.error(`server output (tail):\n${tail()}`);
    throw err;
  }

  it('runs a query from GraphiQL, offline', async () => {
    const page = await context!.newPage();
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('websocket', (ws) => requests.push(ws.url()));
    try {
      const graphqlPosts: { body: string; status: number; json: unknown }[] = [];
      page.on('response', async (res) => {
        const req = res.request();
        if (req.method() !== 'POST' || new URL(req.url()).pathname !== '/graphql') return;
        let json: unknown;
        try {
          json = await res.json();
        } catch {
          json = undefined;
        }
        graphqlPosts.push({ body: req.postData() ?? '', status: res.status(), json });
      });

      // A normal navigation: the browser sends Accept: text/html,...
      const nav = await page.goto(`${baseUrl}/graphql`, { waitUntil: 'load' });
      expect(nav, 'navigation response').toBeTruthy();
      expect(nav!.status()).toBe(200);
      expect(nav!.headers()['content-type'] ?? '').toMatch(/text\/html/);
      expect(await nav!.request().headerValue('accept')).toMatch(/text\/html/);

      await page.locator(SEL.queryEditor).waitFor({ state: 'visible', timeout: 60_000 });
      await page.locator(SEL.executeButton).waitFor({ state: 'visible', timeout: 60_000 });

      // The example tabs, each titled with its operation's name, the first one open.
      const tabNames = GRAPHIQL_TABS.map((tab) => /^(?:query|mutation) (\w+)/m.exec(tab.query)?.[1]);
      await expect
        .poll(async () => (await page.locator(SEL.tab).allInnerTexts()).map((text) => text.trim()), { timeout: 10_000 })
        .toEqual(tabNames);
      await page.locator(SEL.activeTab, { hasText: tabNames[0] }).waitFor({ state: 'visible', timeout: 10_000 });

      // Replace whatever the editor holds (the server's default operation)
      // with our own, named, operation.
      await page.locator(SEL.queryLines).click();
      await page.keyboard.press('ControlOrMeta+A');
      await page.keyboard.press('Delete');
      await page.keyboard.insertText(QUERY);
      await expect
        .poll(async () => (await page.locator(SEL.queryLines).innerText()).replace(/\u00a0/g, ' ').trim(), {
          timeout: 10_000,
        })
        .toBe(QUERY);
      // GraphiQL parses the editor's text after a short debounce; until then it
      // still holds the previous operation name and running fails with
      // "Cannot infer operation <old name>". The active tab is titled with the
      // parsed operation name, so wait for it, as a person would see it.
      await page.locator(SEL.activeTab, { hasText: OPERATION }).waitFor({ state: 'visible', timeout: 10_000 });

      await page.locator(SEL.executeButton).click();

      // The result pane is a Monaco editor; read its rendered lines.
      const readResult = async () =>
        (await page.locator(SEL.responseLines).innerText().catch(() => '')).replace(/\u00a0/g, ' ');
      await expect.poll(readResult, { timeout: 30_000 }).toMatch(/"__typename":\s*"Query"/);
      expect(JSON.parse(await readResult())).toEqual({ data: { __typename: 'Query' } });

      // The query went to this server, over POST /graphql, and succeeded.
      const ours = graphqlPosts.find((p) => p.body.includes(OPERATION));
      expect(ours, `no POST /graphql carrying our query; saw: ${graphqlPosts.map((p) => p.body.slice(0, 80))}`).toBeTruthy();
      expect(ours!.status).toBe(200);
      expect(JSON.parse(ours!.body)).toMatchObject({ operationName: OPERATION });
      expect(ours!.json).toEqual({ data: { __typename: 'Query' } });

      // GraphiQL loaded the schema (docs, completion, validation need it).
      const introspection = graphqlPosts.find((p) => p.body.includes('__schema'));
      expect(introspection, 'GraphiQL sent no introspection query').toBeTruthy();
      expect(introspection!.status, 'introspection status').toBe(200);
      expect(
        (introspection!.json as { errors?: unknown } | undefined)?.errors,
        'introspection errors',
      ).toBeUndefined();

      expect(pageErrors, 'uncaught errors in the page').toEqual([]);
      const foreign = requests.filter((u) => !isLocal(u));
      expect(foreign, 'requests to hosts other than 127.0.0.1').toEqual([]);
      expect(requests.length).toBeGreaterThan(0);
    } catch (err) {
      await onFailure(page, err);
    } finally {
      await page.close().catch(() => {});
    }
  });

  it('shuts down gracefully on SIGTERM (exit code 0 within 10 s)', async () => {
    await context?.close().catch(() => {});
    context = undefined;
    expect(server, 'server was not started').toBeTruthy();
    expect(server!.exitCode, `server already exited\n${tail()}`).toBeNull();
    const started = Date.now();
    server!.kill('SIGTERM');
    const result = await Promise.race([serverExit!, sleep(SHUTDOWN_LIMIT_MS).then(() => 'timeout' as const)]);
    if (result === 'timeout') {
      throw new Error(`server still running ${SHUTDOWN_LIMIT_MS} ms after SIGTERM\n${tail()}`);
    }
    expect(result, `server exit after SIGTERM (${Date.now() - started} ms)\n${tail()}`).toEqual({
      code: 0,
      signal: null,
    });
  });
});
