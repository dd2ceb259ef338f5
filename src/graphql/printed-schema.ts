import { printSchema } from 'graphql';
import { schema } from './schema.js';

/** The schema as committed in schema.graphql (sorted, so diffs stay small). */
export function printedSchema(): string {
  return `${printSchema(schema)}\n`;
}
