import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { printedSchema } from '../src/graphql/printed-schema.js';

describe('schema.graphql', () => {
  it('is the current printed schema (run `npm run schema` after changing the API)', () => {
    const committed = fs.readFileSync(new URL('../schema.graphql', import.meta.url), 'utf8');
    expect(committed).toBe(printedSchema());
  });

  it('describes every type and field, for GraphiQL readers', () => {
    const missing: string[] = [];
    const lines = printedSchema().split('\n');
    lines.forEach((line, index) => {
      const previous = lines[index - 1]?.trim() ?? '';
      const isDefinition = /^(type|union|input|interface|enum|scalar) /.test(line);
      if (isDefinition && !previous.endsWith('"""') && !/^(type Query|type Mutation)/.test(line)) missing.push(line);
    });
    expect(missing).toEqual([]);
  });
});
