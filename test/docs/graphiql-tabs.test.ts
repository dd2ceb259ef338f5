/**
 * GraphiQL's example tabs (src/http/graphiql-tabs.ts) are valid operations
 * with matching variables, and cover the common tasks. That the served page
 * carries them is checked in publish-story.test.ts (it has a server running),
 * and that they show in a browser by test/browser/graphiql.browser.test.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { buildSchema, Kind, parse, validate, type OperationDefinitionNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import { GRAPHIQL_TABS } from '../../src/http/graphiql-tabs.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const schema = buildSchema(fs.readFileSync(path.join(ROOT, 'schema.graphql'), 'utf8'));

function operationOf(query: string): OperationDefinitionNode {
  const definitions = parse(query).definitions;
  expect(definitions).toHaveLength(1);
  expect(definitions[0]!.kind).toBe(Kind.OPERATION_DEFINITION);
  return definitions[0] as OperationDefinitionNode;
}

describe('GraphiQL example tabs', () => {
  it('cover the common tasks, one named operation each (the name is the tab title)', () => {
    const names = GRAPHIQL_TABS.map((tab) => operationOf(tab.query).name?.value);
    expect(names).toEqual(['SignIn', 'WhoAmI', 'Push', 'Release', 'Resolve', 'ChannelMaps', 'Grant']);
  });

  it.each(GRAPHIQL_TABS.map((tab) => [operationOf(tab.query).name?.value, tab] as const))('%s is valid against the schema', (_name, tab) => {
    expect(validate(schema, parse(tab.query)).map((error) => error.message)).toEqual([]);
  });

  it.each(GRAPHIQL_TABS.map((tab) => [operationOf(tab.query).name?.value, tab] as const))(
    '%s has JSON variables for exactly its required and optional variables',
    (_name, tab) => {
      const operation = operationOf(tab.query);
      const declared = (operation.variableDefinitions ?? []).map((definition) => definition.variable.name.value);
      const required = (operation.variableDefinitions ?? [])
        .filter((definition) => definition.type.kind === Kind.NON_NULL_TYPE)
        .map((definition) => definition.variable.name.value);
      const given = Object.keys(JSON.parse(tab.variables ?? '{}') as Record<string, unknown>);
      expect(given.filter((name) => !declared.includes(name))).toEqual([]);
      expect(required.filter((name) => !given.includes(name))).toEqual([]);
    },
  );
});
