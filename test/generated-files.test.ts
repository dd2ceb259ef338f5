/**
 * The committed typed documents (every file codegen.yml generates: the
 * tests' and the CLI's) are what a fresh `npm run codegen` writes from
 * schema.graphql and the operations, so that a schema or operation change
 * cannot leave them stale. (schema.graphql
 * itself is checked by test/schema.test.ts.)
 */
import fs from 'node:fs';
import path from 'node:path';
import { generate, type CodegenConfig } from '@graphql-codegen/cli';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { scaled } from './support/timing.js';

const ROOT = path.resolve(import.meta.dirname, '..');

describe('generated files', () => {
  it('every file codegen.yml generates is what `npm run codegen` writes', async () => {
    const config = parseYaml(fs.readFileSync(path.join(ROOT, 'codegen.yml'), 'utf8')) as CodegenConfig;
    const outputs = (await generate({ ...config, cwd: ROOT }, false)) as { filename: string; content: string }[];
    expect(outputs.map((output) => output.filename).sort()).toEqual(Object.keys(config.generates).sort());
    for (const output of outputs) {
      const committed = fs.readFileSync(path.join(ROOT, output.filename), 'utf8');
      // On a mismatch: run `npm run codegen` and commit the result.
      expect(committed === output.content, `${output.filename} is stale: run \`npm run codegen\``).toBe(true);
    }
  }, scaled(120_000));
});
