import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { promisify } from 'node:util';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import yauzl from 'yauzl';
import { DEFAULT_WRITE_LIMITS } from '../src/config.js';
import { listen, type RunningServer } from '../src/http/server.js';
import { runCli } from '../src/cli/run.js';
import { createUserAndLogin, loginAdmin } from './support/accounts.js';
import { testDatabaseKind } from './support/database.js';
import { createTestStore, type TestStore } from './support/store.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const MiB = 1024 * 1024;

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON (for --format json). */
  json(): any;
}

let store: TestStore;
let server: RunningServer;
let workDir: string;

/** Runs `charmstore ...args` in-process against the test server, with its own config dir unless `env` says otherwise. */
async function cli(args: string[], env: Record<string, string | undefined> = {}, stdin?: string): Promise<CliRun> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const code = await runCli(args, {
    env: { HOME: workDir, XDG_CONFIG_HOME: path.join(workDir, 'kirk-config'), CHARMSTORE_URL: server.url, ...env },
    stdin: Readable.from(stdin === undefined ? [] : [stdin]),
    stdout,
    stderr,
  });
  return {
    code,
    stdout: out,
    stderr: err,
    json() {
      return JSON.parse(out);
    },
  };
}

/** Exits 0, or fails the test showing what the CLI said. */
async function ok(args: string[], env: Record<string, string | undefined> = {}): Promise<CliRun> {
  const run = await cli(args, env);
  expect(run.code, `charmstore ${args.join(' ')}\n${run.stdout}\n${run.stderr}`).toBe(0);
  return run;
}

/** Somebody with no stored credentials and no token: anonymous. */
const ANONYMOUS = { XDG_CONFIG_HOME: '/nonexistent/anonymous-config' };

async function zipEntryNames(archive: Buffer): Promise<string[]> {
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
    yauzl.fromBuffer(archive, { lazyEntries: false }, (error, opened) => (error ? reject(error) : resolve(opened))),
  );
  return new Promise((resolve, reject) => {
    const names: string[] = [];
    zip.on('entry', (entry: yauzl.Entry) => names.push(entry.fileName));
    zip.on('end', () => resolve(names));
    zip.on('error', reject);
  });
}

async function writeCharm(dir: string, options: { name: string; extraFile?: Buffer }): Promise<void> {
  await fs.mkdir(path.join(dir, 'hooks'), { recursive: true });
  await fs.mkdir(path.join(dir, '.git'), { recursive: true });
  await fs.mkdir(path.join(dir, 'build'), { recursive: true });
  await fs.writeFile(
    path.join(dir, 'metadata.yaml'),
    `name: ${options.name}\nsummary: A wiki\ndescription: Deploys a wiki.\nresources:\n  config:\n    type: file\n    description: the site configuration\n`,
  );
  await fs.writeFile(path.join(dir, 'hooks/install'), '#!/bin/sh\necho installed\n', { mode: 0o755 });
  await fs.writeFile(path.join(dir, '.git/HEAD'), 'ref: refs/heads/main\n');
  await fs.writeFile(path.join(dir, 'build/leftover'), 'not shipped\n');
  await fs.writeFile(path.join(dir, 'revision'), '7\n');
  if (options.extraFile) await fs.writeFile(path.join(dir, 'payload.bin'), options.extraFile);
}

beforeAll(async () => {
  store = await createTestStore({
    realClock: true,
    // Multipart files past 1 MiB are refused, so a bigger push only works through POST /uploads.
    limits: {
      maxMultipartBytes: 1 * MiB,
      maxUploadBytes: 16 * MiB,
      archiveLimits: { ...DEFAULT_WRITE_LIMITS, maxArchiveBytes: 16 * MiB, maxEntries: 100, maxEntryBytes: 8 * MiB, maxUncompressedBytes: 16 * MiB },
    },
  });
  server = await listen(store.app, '127.0.0.1', 0, pino({ level: 'silent' }));
  workDir = await fs.mkdtemp(path.join(os.tmpdir(), 'charmstore-cli-'));
  const admin = await loginAdmin(store);
  await createUserAndLogin(store, admin, 'kirk');
});

afterAll(async () => {
  await server?.close(1000);
  await store?.close();
  if (workDir) await fs.rm(workDir, { recursive: true, force: true });
});

describe('the charmstore CLI', () => {
  it('publishes a charm with a resource from login to an anonymous resolve, with JSON output throughout', async () => {
    const charmDir = path.join(workDir, 'wiki');
    await writeCharm(charmDir, { name: 'wiki' });
    await fs.writeFile(path.join(workDir, 'config.yaml'), 'site: example\n');

    // login: the token goes to the config dir, readable by its owner only.
    const login = await ok(['login', '--username', 'kirk', '--format', 'json'], { CHARMSTORE_PASSWORD: 'kirk-password' });
    expect(login.json()).toMatchObject({ username: 'kirk', url: server.url });
    const credentialsFile = path.join(workDir, 'kirk-config', 'charmstore', 'credentials.json');
    expect(login.json().credentials).toBe(credentialsFile);
    expect((await fs.stat(credentialsFile)).mode & 0o777).toBe(0o600);
    expect((await fs.stat(path.dirname(credentialsFile))).mode & 0o777).toBe(0o700);
    expect(JSON.parse(await fs.readFile(credentialsFile, 'utf8'))).toMatchObject({ url: server.url, username: 'kirk', token: expect.any(String) });
    expect((await ok(['whoami', '--format', 'json'])).json()).toMatchObject({ user: { username: 'kirk' }, permissions: [], entities: [] });

    // push the directory with its resource, released to edge in one step.
    const pushed = (await ok(['push', charmDir, '--resource', `config=${path.join(workDir, 'config.yaml')}`, '--release', 'edge', '--format', 'json'])).json();
    expect(pushed).toMatchObject({
      duplicate: false,
      revision: { url: 'cs:~kirk/wiki-0', number: 0, entity: { url: 'cs:~kirk/wiki' } },
      resources: [{ name: 'config', revision: 0, duplicate: false }],
      releases: [{ channel: 'latest/edge', revision: { number: 0 }, resources: [{ name: 'config', revision: 0 }] }],
    });
    // Zipped like `charm push .`: hidden entries, build/ and revision stay out; hooks stay executable.
    const archive = Buffer.from(await (await store.request('/archives/~kirk/wiki/0', { token: JSON.parse(await fs.readFile(credentialsFile, 'utf8')).token })).arrayBuffer());
    expect((await zipEntryNames(archive)).sort()).toEqual(['hooks/', 'hooks/install', 'metadata.yaml']);
    // The same tree again is the same archive: the store answers duplicate.
    const again = await ok(['push', charmDir]);
    expect(again.stdout).toContain('url: cs:~kirk/wiki-0');
    expect(again.stderr).toContain('Unchanged');

    // release to stable with the resource pinned; promote edge to beta; status shows the map.
    const released = await ok(['release', 'cs:~kirk/wiki-0', '--channel', 'stable', '--resource', 'config:0']);
    expect(released.stdout).toContain('Released cs:~kirk/wiki-0 to latest/stable with config:0.');
    const promoted = (await ok(['promote', 'cs:~kirk/wiki', '--from', 'edge', '--to', 'beta', '--format', 'json'])).json();
    expect(promoted).toMatchObject({ from: 'latest/edge', releases: [{ channel: 'latest/beta', revision: { number: 0 }, resources: [{ name: 'config', revision: 0 }] }] });

    const status = await ok(['status', 'cs:~kirk/wiki']);
    const lines = status.stdout.trim().split('\n').map((line) => line.split(/\s{2,}/).filter(Boolean));
    expect(lines[0]).toEqual(['Track', 'Channel', 'Revision', 'Resources', 'Expires at']);
    expect(lines[1]).toEqual(['latest (default)', 'stable', '0', 'config:0', '-']);
    expect(lines[2]).toEqual(['candidate', '↑', '↑', '-']);
    expect(lines[3]).toEqual(['beta', '0', 'config:0', '-']);
    expect(lines[4]).toEqual(['edge', '0', 'config:0', '-']);
    const statusJson = (await ok(['status', 'cs:~kirk/wiki', '--format', 'json'])).json();
    expect(statusJson.tracks[0].channels.map((c: any) => [c.name, c.revision?.number ?? null, c.follows, c.resources])).toEqual([
      ['latest/stable', 0, null, [{ name: 'config', revision: 0 }]],
      ['latest/candidate', null, 'latest/stable', []],
      ['latest/beta', 0, null, [{ name: 'config', revision: 0 }]],
      ['latest/edge', 0, null, [{ name: 'config', revision: 0 }]],
    ]);
    const history = await ok(['status', 'cs:~kirk/wiki', '--history']);
    expect(history.stdout).toMatch(/latest\/stable\s+release\s+0\s+config:0\s+kirk/);

    // Private until shared: anonymous callers see nothing, then everything on stable.
    const hidden = await cli(['resolve', 'cs:~kirk/wiki'], ANONYMOUS);
    expect(hidden.code).toBe(1);
    expect(hidden.stderr).toMatch(/NotFoundError/);
    expect((await ok(['grant', 'cs:~kirk/wiki', 'everyone', '--format', 'json'])).json().acl).toContainEqual({
      channel: 'stable',
      read: expect.arrayContaining(['kirk', 'everyone']),
      write: ['kirk'],
    });
    const resolved = (await ok(['resolve', 'cs:~kirk/wiki', '--format', 'json'], ANONYMOUS)).json();
    expect(resolved).toMatchObject({ channel: 'latest/stable', revision: { url: 'cs:~kirk/wiki-0' }, resources: [{ name: 'config', revision: 0 }] });

    // Downloads show in status --metrics once flushed (the archive was downloaded once above, without a channel).
    expect((await store.request('/archives/~kirk/wiki/0?channel=latest%2Fstable')).status).toBe(200);
    await store.downloadCounter.flush();
    const metrics = (await ok(['status', 'cs:~kirk/wiki', '--metrics', '7', '--format', 'json'])).json();
    expect(metrics.downloads).toMatchObject({ byChannel: [{ key: '', count: 1 }, { key: 'latest/stable', count: 1 }], byRevision: [{ key: '0', count: 2 }] });
    expect(metrics.downloads.byDay).toEqual([{ key: new Date().toISOString().slice(0, 10), count: 2 }]);
    const metricsText = await ok(['status', 'cs:~kirk/wiki', '--metrics']);
    expect(metricsText.stdout).toMatch(/Downloads from \d{4}-\d{2}-\d{2} to \d{4}-\d{2}-\d{2} \(UTC\): 2/);
    expect(metricsText.stdout).toMatch(/latest\/stable\s+1/);
    const refused = await cli(['status', 'cs:~kirk/wiki', '--metrics'], ANONYMOUS);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/package-view-metrics/);

    // Listings parse as JSON.
    expect((await ok(['revisions', 'cs:~kirk/wiki', '--format', 'json'])).json()).toMatchObject([
      { number: 0, createdBy: 'kirk', channels: expect.arrayContaining(['latest/stable', 'latest/beta', 'latest/edge']) },
    ]);
    expect((await ok(['resources', 'cs:~kirk/wiki', '--format', 'json'])).json()).toEqual([
      { name: 'config', type: 'file', description: 'the site configuration', latestRevision: 0 },
    ]);
    expect((await ok(['resource-revisions', 'cs:~kirk/wiki', 'config', '--format', 'json'])).json()).toMatchObject([{ revision: 0, createdBy: 'kirk', size: 14 }]);
  });

  it('manages channels, tracks, ACLs, names and tokens', async () => {
    const url = 'cs:~kirk/wiki';
    await ok(['close', url, 'beta']);
    expect((await ok(['status', url, '--format', 'json'])).json().tracks[0].channels[2]).toMatchObject({ name: 'latest/beta', closed: true, follows: 'latest/stable' });
    expect((await ok(['create-track', url, '2.0', '--format', 'json'])).json().tracks.map((t: any) => t.name)).toEqual(['latest', '2.0']);
    expect((await ok(['set-default-track', url, '2.0', '--format', 'json'])).json()).toMatchObject({ defaultTrack: '2.0' });
    const status = await ok(['status', url]);
    expect(status.stdout).toMatch(/^2\.0 \(default\)\s+stable\s+-/m);
    await ok(['release', url, '--revision', '0', '--channel', '2.0/edge']);
    expect((await ok(['resolve', url, '--channel', 'edge', '--format', 'json'])).json()).toMatchObject({ channel: '2.0/edge' });

    const setAcl = (await ok(['set-acl', url, 'kirk', 'everyone', '--channel', 'edge', '--acl', 'read', '--format', 'json'])).json();
    expect(setAcl.acl).toContainEqual(expect.objectContaining({ channel: 'edge', read: ['everyone', 'kirk'].sort() }));
    const revoked = (await ok(['revoke', url, 'everyone', '--channel', 'edge', '--acl', 'read', '--format', 'json'])).json();
    expect(revoked.acl).toContainEqual(expect.objectContaining({ channel: 'edge', read: ['kirk'] }));

    expect((await ok(['register', 'gallery', '--format', 'json'])).json()).toEqual({ url: 'cs:~kirk/gallery', kind: 'CHARM', private: true });
    expect((await ok(['unregister', 'gallery', '--format', 'json'])).json()).toEqual({ name: 'gallery' });

    // A limited token for CI: written 0600, used through CHARMSTORE_AUTH, limited as asked.
    const exported = path.join(workDir, 'ci-credentials.json');
    const viaStdin = await cli(
      ['login', '--username', 'kirk', '--password-stdin', '--export', exported, '--charm', url, '--channel', 'edge', '--permission', 'package-manage-releases', '--ttl', '3600', '--format', 'json'],
      {},
      'kirk-password\n',
    );
    expect(viaStdin.code, viaStdin.stderr).toBe(0);
    expect(viaStdin.json()).toMatchObject({ username: 'kirk', entities: [url], channels: ['edge'], permissions: ['package-manage-releases'], file: exported });
    expect((await fs.stat(exported)).mode & 0o777).toBe(0o600);
    const ci = { ...ANONYMOUS, CHARMSTORE_URL: undefined, CHARMSTORE_AUTH: await fs.readFile(exported, 'utf8') };
    expect((await ok(['whoami', '--format', 'json'], ci)).json()).toMatchObject({ url: server.url, user: { username: 'kirk' }, entities: [url], channels: ['edge'] });
    await ok(['release', `${url}-0`, '--channel', 'edge'], ci);
    const refused = await cli(['release', `${url}-0`, '--channel', 'candidate'], ci);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^error: PermissionDeniedError: .*candidate/m);
    // A bare token in CHARMSTORE_AUTH works too.
    const bareToken = JSON.parse(ci.CHARMSTORE_AUTH).token as string;
    expect((await ok(['tokens', '--format', 'json'], { ...ANONYMOUS, CHARMSTORE_AUTH: bareToken })).json()).toEqual([
      expect.objectContaining({ current: true, channels: ['edge'], permissions: ['package-manage-releases'] }),
    ]);

    // The stored login token lists every token; logout revokes it and forgets the file.
    const tokens = (await ok(['tokens', '--format', 'json'])).json();
    expect(tokens.length).toBeGreaterThanOrEqual(2);
    expect(tokens.filter((token: any) => token.current)).toHaveLength(1);
    expect((await ok(['logout', '--format', 'json'])).json()).toEqual({ revoked: 1, forgotten: true });
    await expect(fs.stat(path.join(workDir, 'kirk-config', 'charmstore', 'credentials.json'))).rejects.toThrow();
    const signedOut = await cli(['whoami']);
    expect(signedOut.code).toBe(1);
    expect(signedOut.stderr).toContain('Not logged in');
    expect((await ok(['login', '--username', 'kirk'], { CHARMSTORE_PASSWORD: 'kirk-password' })).stdout).toContain('Logged in');
  });

  it('streams big archives and resources through POST /uploads with a progress bar', async () => {
    const charmDir = path.join(workDir, 'big');
    // Incompressible, so the zip stays above the multipart limit (1 MiB) and the threshold.
    await writeCharm(charmDir, { name: 'big', extraFile: randomBytes(3 * MiB) });
    const resource = path.join(workDir, 'big-config.bin');
    await fs.writeFile(resource, randomBytes(2 * MiB));
    const run = await ok(['push', charmDir, '--resource', `config=${resource}`, '--progress', '--format', 'json'], { CHARMSTORE_UPLOAD_THRESHOLD: String(MiB) });
    expect(run.json()).toMatchObject({ revision: { url: 'cs:~kirk/big-0' }, resources: [{ name: 'config', revision: 0, size: 2 * MiB }] });
    expect(run.json().revision.size).toBeGreaterThan(3 * MiB);
    expect(run.stderr).toMatch(/Uploading archive \[[=-]+\] 100% 3\.\d\/3\.\d MiB/);
    expect(run.stderr).toMatch(/Uploading resource config \[[=-]+\] 100% 2\.0\/2\.0 MiB/);
    // Without --progress and without a terminal, nothing is drawn.
    const quiet = await ok(['push-resource', 'cs:~kirk/big', 'config', resource], { CHARMSTORE_UPLOAD_THRESHOLD: String(MiB) });
    expect(quiet.stdout).toContain('Unchanged: resource config revision 0');
    expect(quiet.stderr).not.toContain('Uploading');
  });

  it('shows a Base column in status when a channel map holds several platforms', async () => {
    for (const architecture of ['amd64', 'arm64']) {
      const dir = path.join(workDir, `multi-${architecture}`);
      await fs.mkdir(dir, { recursive: true });
      await fs.writeFile(path.join(dir, 'metadata.yaml'), 'name: multi\nsummary: Two builds\ndescription: One per architecture.\n');
      await fs.writeFile(path.join(dir, 'manifest.yaml'), `bases:\n  - name: ubuntu\n    channel: "22.04"\n    architectures: [${architecture}]\n`);
      await fs.writeFile(path.join(dir, 'dispatch'), `#!/bin/sh\necho ${architecture}\n`, { mode: 0o755 });
      await ok(['push', dir, '--release', 'stable']);
    }
    const status = await ok(['status', 'cs:~kirk/multi']);
    const lines = status.stdout.trim().split('\n').map((line) => line.split(/\s{2,}/).filter(Boolean));
    expect(lines[0]).toEqual(['Track', 'Base', 'Channel', 'Revision', 'Resources', 'Expires at']);
    expect(lines.slice(1, 3)).toEqual([
      ['latest (default)', 'ubuntu 22.04 (amd64)', 'stable', '0', '-', '-'],
      ['candidate', '↑', '↑', '-'],
    ]);
    expect(lines[5]).toEqual(['ubuntu 22.04 (arm64)', 'stable', '1', '-', '-']);
    const json = (await ok(['status', 'cs:~kirk/multi', '--format', 'json'])).json();
    expect(json.tracks[0].channels[0].bases.map((entry: any) => [entry.base.architectures, entry.revision.number])).toEqual([[['amd64'], 0], [['arm64'], 1]]);
    // resolve --base serves that platform's entry.
    expect((await ok(['resolve', 'cs:~kirk/multi', '--base', 'ubuntu@22.04:amd64', '--format', 'json'])).json()).toMatchObject({ revision: { number: 0 } });
    expect((await ok(['resolve', 'cs:~kirk/multi', '--base', 'ubuntu@22.04:arm64', '--format', 'json'])).json()).toMatchObject({ revision: { number: 1 } });
    expect((await cli(['resolve', 'cs:~kirk/multi', '--base', 'ubuntu-22.04-arm64'])).code).toBe(2);
  });

  it('exits 2 on usage errors and 1 with the store message on store errors', async () => {
    for (const args of [
      ['frobnicate'],
      ['status'],
      ['status', 'cs:~kirk/wiki', '--format', 'xml'],
      ['release', 'cs:~kirk/wiki-0'],
      ['release', 'cs:~kirk/wiki-0', '--channel', 'edge', '--resource', 'config'],
      ['push', path.join(workDir, 'no-such-dir')],
      ['login', '--ttl', '60'],
    ]) {
      const run = await cli(args);
      expect(run.code, `charmstore ${args.join(' ')}: ${run.stderr}`).toBe(2);
      expect(run.stderr).toMatch(/error/);
    }
    // No terminal to ask the password on.
    expect((await cli(['login', '--username', 'kirk'])).code).toBe(2);

    const missing = await cli(['release', 'cs:~kirk/nothing-0', '--channel', 'edge', '--format', 'json']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^error: NotFoundError: .+/m);
    expect(missing.json()).toEqual({ error: { type: 'NotFoundError', message: expect.stringMatching(/.+/), field: null } });
    const invalid = await cli(['create-track', 'cs:~kirk/wiki', 'no/slashes']);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toMatch(/ValidationError/);
    const badLogin = await cli(['login', '--username', 'kirk'], { CHARMSTORE_PASSWORD: 'wrong-password' });
    expect(badLogin.code).toBe(1);
    expect(badLogin.stderr).toMatch(/AuthenticationError/);
    const badToken = await cli(['whoami'], { CHARMSTORE_AUTH: 'not-a-token' });
    expect(badToken.code).toBe(1);
    const unreachable = await cli(['status', 'cs:~kirk/wiki'], { CHARMSTORE_URL: 'http://127.0.0.1:9' });
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toContain('Cannot reach the store at http://127.0.0.1:9');
  });

  // The database plays no part here: once is enough. What `npx charmstore` runs in the repository: the command
  // package.json's "bin" names, an executable file with a node shebang, run here as npx would run it (npx itself,
  // whose search of node_modules cost ~1.5 s of CPU, is npm's).
  it.skipIf(testDatabaseKind() !== 'pglite')('runs as the package\'s `charmstore` command (what `npx charmstore` runs) from the repository', async () => {
    const manifest = JSON.parse(await fs.readFile(path.join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> };
    const command = path.join(ROOT, manifest.bin.charmstore!);
    expect((await fs.readFile(command, 'utf8')).startsWith('#!/usr/bin/env node\n')).toBe(true);
    expect((await fs.stat(command)).mode & 0o111).toBe(0o111);
    const { stdout } = await promisify(execFile)(command, ['resolve', 'cs:~kirk/wiki', '--channel', 'latest/stable', '--format', 'json'], {
      cwd: ROOT,
      env: { ...process.env, ...ANONYMOUS, CHARMSTORE_URL: server.url, CHARMSTORE_AUTH: '' },
    });
    expect(JSON.parse(stdout)).toMatchObject({ revision: { url: 'cs:~kirk/wiki-0' } });
  });
});
