import fs from 'node:fs';
import { isEnumType, isInputObjectType, isInterfaceType, isObjectType, type GraphQLSchema } from 'graphql';
import { describe, expect, it } from 'vitest';
import { printedSchema } from '../src/graphql/printed-schema.js';
import { schema } from '../src/graphql/schema.js';

/** Every type, field, argument, input field and enum value without a description, by its schema coordinate. */
function undescribed(checked: GraphQLSchema): string[] {
  const missing: string[] = [];
  for (const type of Object.values(checked.getTypeMap())) {
    if (type.name.startsWith('__')) continue; // introspection's own types
    if (!type.description) missing.push(type.name);
    if (isObjectType(type) || isInterfaceType(type)) {
      for (const field of Object.values(type.getFields())) {
        if (!field.description) missing.push(`${type.name}.${field.name}`);
        for (const arg of field.args) if (!arg.description) missing.push(`${type.name}.${field.name}(${arg.name}:)`);
      }
    } else if (isInputObjectType(type)) {
      for (const field of Object.values(type.getFields())) if (!field.description) missing.push(`${type.name}.${field.name}`);
    } else if (isEnumType(type)) {
      for (const value of type.getValues()) if (!value.description) missing.push(`${type.name}.${value.name}`);
    }
  }
  return missing;
}

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

  it('describes every field, argument, input field and enum value too, Relay boilerplate included', () => {
    // Scalars built into GraphQL (String, Int, ...) come with their descriptions.
    expect(undescribed(schema)).toEqual([]);
  });

  it('finds what has no description (the check itself works)', async () => {
    const { buildSchema } = await import('graphql');
    const bare = buildSchema('"""Reads.""" type Query { """Has one.""" a(x: Int): Int }');
    expect(undescribed(bare)).toEqual(['Query.a(x:)']);
  });
});
