/**
 * Every ```graphql block in README.md and docs/*.md, and every
 * `"query": "..."` in their ```sh blocks (curl request bodies), is valid
 * against the schema, so the documentation cannot drift from the API.
 *
 * Convention for writing them: a block holds one or more complete
 * operations (anonymous ones too; each is checked on its own, with the
 * block's fragments), written with literal values, never placeholders;
 * `#` comments are fine.
 */
import fs from 'node:fs';
import path from 'node:path';
import { buildSchema, GraphQLError, Kind, parse, validate, type DefinitionNode, type DocumentNode } from 'graphql';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const schema = buildSchema(fs.readFileSync(path.join(ROOT, 'schema.graphql'), 'utf8'));

interface Snippet {
  file: string;
  line: number;
  source: string;
}

function documentationFiles(): string[] {
  const docs = fs.readdirSync(path.join(ROOT, 'docs')).filter((name) => name.endsWith('.md')).map((name) => `docs/${name}`);
  return ['README.md', ...docs.sort()];
}

function graphqlSnippets(file: string, text: string): Snippet[] {
  const snippets: Snippet[] = [];
  const fence = /^```graphql\n([\s\S]*?)^```$/gm;
  for (const match of text.matchAll(fence)) {
    const line = text.slice(0, match.index).split('\n').length;
    snippets.push({ file, line, source: match[1] ?? '' });
  }
  const shellFence = /^```(?:sh|bash)\n([\s\S]*?)^```$/gm;
  for (const block of text.matchAll(shellFence)) {
    for (const query of (block[1] ?? '').matchAll(/"query":\s*"((?:[^"\\]|\\.)*)"/g)) {
      const line = text.slice(0, (block.index ?? 0) + (query.index ?? 0)).split('\n').length + 1;
      snippets.push({ file, line, source: JSON.parse(`"${query[1]}"`) as string });
    }
  }
  return snippets;
}

/** What is wrong with a snippet, as messages; empty when it is valid. */
function problems(snippet: Snippet): string[] {
  let document: DocumentNode;
  try {
    document = parse(snippet.source);
  } catch (error) {
    return [(error as GraphQLError).message];
  }
  const fragments = document.definitions.filter((definition) => definition.kind === Kind.FRAGMENT_DEFINITION);
  const operations = document.definitions.filter((definition) => definition.kind === Kind.OPERATION_DEFINITION);
  if (operations.length === 0) return ['no operation'];
  const checkOne = (operation: DefinitionNode) => validate(schema, { kind: Kind.DOCUMENT, definitions: [operation, ...fragments] });
  return operations.flatMap((operation) => checkOne(operation).map((error) => error.message));
}

describe('GraphQL in the documentation', () => {
  const snippets = documentationFiles().flatMap((file) => graphqlSnippets(file, fs.readFileSync(path.join(ROOT, file), 'utf8')));

  it('has snippets to check', () => {
    expect(snippets.length).toBeGreaterThan(25);
  });

  it('is valid against schema.graphql, every snippet', () => {
    const invalid = snippets.flatMap((snippet) => problems(snippet).map((message) => `${snippet.file}:${snippet.line}: ${message}`));
    expect(invalid).toEqual([]);
  });

  it('refuses what is not valid (the check itself works)', () => {
    const bad = graphqlSnippets('example.md', '```graphql\n{ entity(url: "cs:~kirk/foo") { noSuchField } }\n```\n');
    expect(bad).toHaveLength(1);
    expect(problems(bad[0]!)).toEqual(['Cannot query field "noSuchField" on type "Entity".']);
  });
});
