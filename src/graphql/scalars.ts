import { GraphQLError, Kind } from 'graphql';
import { builder } from './builder.js';

builder.scalarType('DateTime', {
  description: 'A point in time, as an ISO 8601 string in UTC (e.g. "2026-11-21T14:54:27.000Z").',
  serialize: (value) => value.toISOString(),
  parseValue: (value) => {
    const date = typeof value === 'string' ? new Date(value) : new Date(Number.NaN);
    if (Number.isNaN(date.getTime())) throw new GraphQLError('DateTime must be an ISO 8601 string');
    return date;
  },
  parseLiteral: (ast) => {
    const date = ast.kind === Kind.STRING ? new Date(ast.value) : new Date(Number.NaN);
    if (Number.isNaN(date.getTime())) throw new GraphQLError('DateTime must be an ISO 8601 string');
    return date;
  },
});

builder.scalarType('Date', {
  description: 'A calendar day in UTC, as "YYYY-MM-DD" (e.g. "2026-11-21").',
  serialize: (value) => value,
  parseValue: (value) => parseDay(value),
  parseLiteral: (ast) => parseDay(ast.kind === Kind.STRING ? ast.value : undefined),
});

function parseDay(value: unknown): string {
  const day = typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value) ? new Date(`${value}T00:00:00Z`) : null;
  // Date rolls "2026-02-30" over into March: a real day prints back as itself.
  if (!day || Number.isNaN(day.getTime()) || !day.toISOString().startsWith(value as string)) throw new GraphQLError('Date must be a day as "YYYY-MM-DD"');
  return value as string;
}

builder.scalarType('File', {
  description: 'An uploaded file, sent as a part of a multipart request (GraphQL multipart request spec).',
  serialize: () => {
    throw new GraphQLError('File is an input-only scalar');
  },
  parseValue: (value) => {
    // Yoga's multipart parser (@whatwg-node) gives File-like objects that are not instances of Node's File.
    if (!isFileLike(value)) throw new GraphQLError('File must be sent as a multipart upload');
    return value;
  },
});

function isFileLike(value: unknown): value is File {
  if (value instanceof File) return true;
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Partial<File>;
  return typeof candidate.arrayBuffer === 'function' && typeof candidate.size === 'number' && typeof candidate.name === 'string';
}

builder.scalarType('JSON', {
  description: 'Any JSON value (the before/after summaries of audit events, a charm\'s `assumes` expressions).',
  serialize: (value) => value,
  parseValue: (value) => value,
});
