/**
 * docs/api.md is one session a reader follows from top to bottom. This test
 * follows it: against a fresh store configured as the guide starts it, it runs
 * every shell block, in order, in one bash (from a directory that has the
 * repository's examples/), and sends every operation of every ```graphql
 * block with the guide's own `gql` helper, as whoever $TOKEN is at that point.
 * The only change made to the text is the store's address (the test store
 * listens on a free port, not 4000).
 *
 * The store is the server's app in this worker, listening on HTTP: built from
 * the settings `npm start` reads (`loadConfig`, `storeAppOptions`: the same
 * limits, read cache, live settings) with the guide's admin, on a copy of the
 * migrated database. What a separate process adds (start-up, signals,
 * `npm start`) is test/server-process.test.ts's and the publishing story's
 * (test/docs/publish-story.test.ts); a server process of its own cost this
 * file ~1.3 s of CPU and checked nothing the guide looks at.
 *
 * Every answer the store gives is recorded (curl is wrapped) and must be free
 * of GraphQL errors and of typed errors (`__typename` ending in `Error`), so
 * an example that uses something never created, or in the wrong order, fails.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Kind, parse } from 'graphql';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBlobStore } from '../../src/blobs/open-blob-store.js';
import { loadConfig } from '../../src/config.js';
import { createApp } from '../../src/http/app.js';
import { listen, type RunningServer } from '../../src/http/server.js';
import { ensureAdmin } from '../../src/services/accounts/ensure-admin.js';
import { DownloadCounter } from '../../src/services/downloads/download-counter.js';
import { storeAppOptions } from '../../src/start-store.js';
import { createTestDatabase, testDatabaseKind, type TestDatabase } from '../support/database.js';
import { scaled } from '../support/timing.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const GUIDE = 'docs/api.md';
const DOCUMENTED_ADDRESS = 'http://127.0.0.1:4000';

interface Block {
  language: string;
  line: number;
  text: string;
}

function codeBlocks(markdown: string): Block[] {
  return [...markdown.matchAll(/^```(\w+)\n([\s\S]*?)^```$/gm)].map((match) => ({
    language: match[1] ?? '',
    line: markdown.slice(0, match.index).split('\n').length,
    text: match[2] ?? '',
  }));
}

const singleQuoted = (text: string) => `'${text.replaceAll("'", `'\\''`)}'`;

/** The guide as one bash script, each step labelled with its place in the guide. */
function sessionScript(markdown: string, storeUrl: string, logDir: string): string {
  const lines = [
    'set -e',
    // Records every answer of the store, labelled with the step that asked.
    `curl() { local out; out=$(mktemp -p ${singleQuoted(logDir)}); printf '%s\\n' "$STEP" > "$out"; command curl "$@" | tee -a "$out"; }`,
  ];
  for (const block of codeBlocks(markdown)) {
    const step = `${GUIDE}:${block.line}`;
    if (block.language === 'sh' || block.language === 'bash') {
      // The block that starts the store: the test has started it already.
      if (block.text.includes('npm start')) continue;
      lines.push(`STEP=${singleQuoted(step)}`, block.text.replaceAll(DOCUMENTED_ADDRESS, storeUrl));
    } else if (block.language === 'graphql') {
      const document = parse(block.text);
      for (const operation of document.definitions) {
        if (operation.kind !== Kind.OPERATION_DEFINITION || !operation.loc) continue;
        const source = block.text.slice(operation.loc.start, operation.loc.end);
        const operationLine = block.line + block.text.slice(0, operation.loc.start).split('\n').length;
        lines.push(`STEP=${singleQuoted(`${GUIDE}:${operationLine}`)}`, `gql ${singleQuoted(JSON.stringify({ query: source }))}`);
      }
    }
  }
  return `${lines.join('\n')}\n`;
}

/** Typed errors anywhere in an answer: objects whose __typename ends in "Error". */
function typedErrors(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(typedErrors);
  if (value === null || typeof value !== 'object') return [];
  const record = value as Record<string, unknown>;
  const own = typeof record.__typename === 'string' && record.__typename.endsWith('Error') ? [`${record.__typename}: ${String(record.message)}`] : [];
  return [...own, ...Object.values(record).flatMap(typedErrors)];
}

interface Answer {
  step: string;
  body: string;
}

async function recordedAnswers(logDir: string): Promise<Answer[]> {
  const answers: Answer[] = [];
  for (const name of await fs.readdir(logDir)) {
    const [step = '', ...rest] = (await fs.readFile(path.join(logDir, name), 'utf8')).split('\n');
    const body = rest.join('\n').trim();
    if (body !== '') answers.push({ step, body }); // downloads write to files (-o), not here
  }
  return answers;
}

// The guide exercises the documentation, not the database: the embedded
// database is enough, and the PostgreSQL project skips it.
describe.skipIf(testDatabaseKind() === 'postgres')('docs/api.md, run in order as written', () => {
  let server: RunningServer | undefined;
  let database: TestDatabase | undefined;
  let downloadCounter: DownloadCounter | undefined;
  let workDir: string;

  beforeAll(async () => {
    workDir = await fs.mkdtemp(path.join(os.tmpdir(), 'charmstore-guide-'));
    await fs.mkdir(path.join(workDir, 'data'));
    await fs.mkdir(path.join(workDir, 'answers'));
    await fs.mkdir(path.join(workDir, 'session'));
    // The guide's commands run from the repository root and read examples/.
    await fs.symlink(path.join(ROOT, 'examples'), path.join(workDir, 'session', 'examples'));
    // What `npm start` reads, with the guide's admin (the test servers' cheap password hashing, as every spawned one has).
    const config = loadConfig({
      STORE_DATA_DIR: path.join(workDir, 'data'),
      STORE_ADMIN_USERNAME: 'admin',
      STORE_ADMIN_PASSWORD: 'change-me-please',
      STORE_SCRYPT_COST: '1024',
    });
    // A copy of the migrated database: the guide starts from an empty store all the same.
    database = await createTestDatabase();
    await ensureAdmin(database.db.prisma, config.admin!, config.scryptCost, new Date());
    const logger = pino({ level: 'silent' });
    downloadCounter = new DownloadCounter(database.db.prisma, logger);
    downloadCounter.start(config.downloadStatsFlushSeconds * 1000);
    const app = createApp(storeAppOptions(config, { db: database.db, logger, blobs: await openBlobStore(config), downloadCounter }));
    server = await listen(app, '127.0.0.1', 0, logger);
  });

  afterAll(async () => {
    await server?.close(1000);
    await downloadCounter?.stop();
    await database?.drop();
    await fs.rm(workDir, { recursive: true, force: true });
  });

  it('gives no error anywhere', async () => {
    const markdown = await fs.readFile(path.join(ROOT, GUIDE), 'utf8');
    const logDir = path.join(workDir, 'answers');
    const script = sessionScript(markdown, server!.url, logDir);
    const run = await new Promise<{ code: number; stderr: string }>((resolve) => {
      const child = execFile(
        'bash',
        ['-s'],
        { cwd: path.join(workDir, 'session'), env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: workDir }, timeout: 400_000 },
        (error, _stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stderr }),
      );
      child.stdin?.end(script);
    });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);

    const answers = await recordedAnswers(logDir);
    const problems = answers.flatMap(({ step, body }) => {
      let answer: { errors?: { message: string }[]; data?: unknown };
      try {
        answer = JSON.parse(body) as typeof answer;
      } catch {
        return [`${step}: not JSON: ${body.slice(0, 200)}`];
      }
      const errors = (answer.errors ?? []).map((error) => `GraphQL error: ${error.message}`);
      return [...errors, ...typedErrors(answer.data)].map((problem) => `${step}: ${problem}`);
    });
    expect(problems).toEqual([]);
    // Every operation of the guide was sent (the logouts come last).
    expect(answers.length).toBeGreaterThan(50);
    expect(answers.some(({ body }) => body.includes('"logout":{"__typename":"LogoutSuccess","revoked":true,"count":'))).toBe(true);
  }, scaled(600_000));
});
