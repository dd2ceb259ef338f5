/**
 * The committed typed documents (every file codegen.yml generates: the
 * tests' and the CLI's) are what a fresh `npm run codegen` writes from
 * schema.graphql and the operations, so that a schema or operation change
 * cannot leave them stale. (schema.graphql
 * itself is checked by test/schema.test.ts.)
 *
 * What codegen writes depends only on codegen.yml, the schema, the
 * operations and the plugins' versions (the lockfile): its output for a
 * digest of those is kept in node_modules/.cache (~1 s of CPU less per run),
 * and the committed files are compared with it; any change to an input
 * generates afresh.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { CodegenConfig } from '@graphql-codegen/cli';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { scaled } from './support/timing.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const CACHE_DIR = path.join(ROOT, 'node_modules', '.cache', 'charm-store-tests');

/** Every file under `dir` (relative to ROOT) ending in `.graphql`. */
function graphqlFiles(dir: string): string[] {
  return fs
    .readdirSync(path.join(ROOT, dir), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.graphql'))
    .map((entry) => path.relative(ROOT, path.join(entry.parentPath, entry.name)))
    .sort();
}

/** A digest of codegen's inputs: codegen.yml, the schema, every operation file of the generated files' document directories, the lockfile. */
function inputDigest(config: CodegenConfig): string {
  const hash = createHash('sha256');
  const documentDirs = Object.values(config.generates).map((target) => String((target as { documents: string }).documents).split('*')[0]!);
  const files = ['codegen.yml', String(config.schema), 'package-lock.json', ...documentDirs.flatMap(graphqlFiles)];
  for (const file of files) hash.update(file).update('\0').update(fs.readFileSync(path.join(ROOT, file))).update('\0');
  return hash.digest('hex');
}

async function generated(config: CodegenConfig): Promise<Array<{ filename: string; content: string }>> {
  const cached = path.join(CACHE_DIR, `codegen-${inputDigest(config).slice(0, 16)}.json`);
  try {
    return JSON.parse(fs.readFileSync(cached, 'utf8')) as Array<{ filename: string; content: string }>;
  } catch {
    // Imported only to generate: loading codegen and its plugins is most of the cost.
    const { generate } = await import('@graphql-codegen/cli');
    const outputs = ((await generate({ ...config, cwd: ROOT }, false)) as Array<{ filename: string; content: string }>).map(({ filename, content }) => ({ filename, content }));
    fs.mkdirSync(CACHE_DIR, { recursive: true });
    fs.writeFileSync(cached, JSON.stringify(outputs));
    return outputs;
  }
}

describe('generated files', () => {
  it('every file codegen.yml generates is what `npm run codegen` writes', async () => {
    const config = parseYaml(fs.readFileSync(path.join(ROOT, 'codegen.yml'), 'utf8')) as CodegenConfig;
    const outputs = await generated(config);
    expect(outputs.map((output) => output.filename).sort()).toEqual(Object.keys(config.generates).sort());
    for (const output of outputs) {
      const committed = fs.readFileSync(path.join(ROOT, output.filename), 'utf8');
      // On a mismatch: run `npm run codegen` and commit the result.
      expect(committed === output.content, `${output.filename} is stale: run \`npm run codegen\``).toBe(true);
    }
  }, scaled(120_000));
});
