/**
 * The README's publishing story is examples/publish.sh (its helpers in
 * examples/store-api.sh), shown verbatim in the
 * README. These tests run the script, unchanged, against a real server
 * started the way the README says (an admin from STORE_ADMIN_USERNAME and
 * STORE_ADMIN_PASSWORD), so a broken example fails CI.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GRAPHIQL_TABS } from '../../src/http/graphiql-tabs.js';
import { testDatabaseKind, withMigratedDatabase } from '../support/database.js';
import { startServer, type ServerProcess } from '../support/process.js';
import { scaled } from '../support/timing.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const SCRIPT = path.join(ROOT, 'examples/publish.sh');
const BEGIN = '<!-- publish.sh begins -->\n```bash\n';
const END = '```\n<!-- publish.sh ends -->';

interface ScriptRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the script as a reader would, in a bare environment: only PATH, HOME and the given settings. */
function runScript(settings: Record<string, string>): Promise<ScriptRun> {
  return new Promise((resolve) => {
    execFile(
      'bash',
      [SCRIPT],
      { cwd: ROOT, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: os.tmpdir(), ...settings }, timeout: 240_000 },
      (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr }),
    );
  });
}

describe('the README', () => {
  it('shows examples/publish.sh verbatim between its markers', async () => {
    const readme = await fs.readFile(path.join(ROOT, 'README.md'), 'utf8');
    const script = await fs.readFile(SCRIPT, 'utf8');
    const begin = readme.indexOf(BEGIN);
    const end = readme.indexOf(END);
    expect(begin, `README.md needs "${BEGIN.trim()}"`).toBeGreaterThan(-1);
    expect(end, `README.md needs "${END.trim()}"`).toBeGreaterThan(begin);
    // On a mismatch: copy examples/publish.sh between the markers.
    expect(readme.slice(begin + BEGIN.length, end)).toBe(script);
  });
});

// The story exercises the documentation, not the database: the embedded
// database is enough, and the PostgreSQL project skips it.
describe.skipIf(testDatabaseKind() === 'postgres')('examples/publish.sh against a real server', () => {
  let server: ServerProcess;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'charmstore-story-'));
    // A copy of the migrated database saves the server initdb; the story starts from an empty store all the same.
    server = await startServer({ STORE_DATA_DIR: await withMigratedDatabase(dataDir), STORE_ADMIN_USERNAME: 'admin', STORE_ADMIN_PASSWORD: 'change-me-please' });
  });

  afterAll(async () => {
    await server?.stop('SIGTERM');
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  it('publishes the sample charm and bundle, which anybody then resolves and downloads', async () => {
    const run = await runScript({ STORE: server.url });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout.split('\n')).toEqual([
      '1. sign in as admin and create the user kirk (if missing)',
      '   CreateUserSuccess',
      '2. sign in as kirk: everything below is theirs',
      '3. push the sample charm, then its file and oci-image resources',
      '   pushed cs:~kirk/hello-0',
      '   site-config 0',
      '   image 0',
      '4. push the sample bundle',
      '   pushed cs:~kirk/bundle/hello-world-0',
      '5. release both to stable (the charm with the newest revision of each resource)',
      '   latest/stable cs:~kirk/hello-0',
      '   latest/stable cs:~kirk/bundle/hello-world-0',
      '6. let everyone read both on stable',
      '   cs:~kirk/hello',
      '   cs:~kirk/bundle/hello-world',
      '7. as anybody (no token): resolve the charm on stable, download it and its site-config',
      '   stable serves cs:~kirk/hello-0',
      '   /archives/~kirk/hello/0: the archive pushed',
      '   /resources/~kirk/hello/site-config/0: the resource pushed',
      'done',
      '',
    ]);
  }, scaled(300_000));

  it('runs again: the user exists, and the same archives are the revisions already pushed', async () => {
    const run = await runScript({ STORE: server.url });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('   ConflictError\n');
    expect(run.stdout).toContain('   pushed cs:~kirk/hello-0\n');
    expect(run.stdout).toContain('   pushed cs:~kirk/bundle/hello-world-0\n');
    expect(run.stdout).toContain('   site-config 0\n   image 0\n');
    expect(run.stdout).toMatch(/done\n$/);
  }, scaled(300_000));

  it('serves GraphiQL with the example tabs', async () => {
    const response = await fetch(`${server.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain(`"defaultTabs":${JSON.stringify(GRAPHIQL_TABS)}`);
  });

  it('stops at a wrong password with the reason, and sends no token on', async () => {
    const run = await runScript({ STORE: server.url, ADMIN_PASSWORD: 'not-the-password' });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('1. sign in as admin and create the user kirk (if missing)\n');
    expect(run.stderr).toBe('login: AuthenticationError: Unknown username or wrong password\n');
  }, scaled(300_000));
});
