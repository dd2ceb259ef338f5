import { GraphQLError } from 'graphql';
import type { GraphQLParams, Plugin } from 'graphql-yoga';
import { badRequest } from './input-guards.js';

/**
 * A strict reader of GraphQL multipart requests (the spec at
 * github.com/jaydenseric/graphql-multipart-request-spec), replacing Yoga's
 * lenient one, which answered a `map` that is an array of objects, or
 * `operations: null`, with an internal error, and built missing variables
 * out of map paths (whose coercion errors then printed the File object):
 *
 * - `operations` is one JSON object (no batching);
 * - `map`, when given, is a JSON object from form field names to lists of
 *   paths `variables.<key>...`, each naming a `null` placeholder that the
 *   operations already hold, and each field must be a file.
 *
 * Anything else is an HTTP 400 naming what was wrong.
 */
export function strictMultipart(): Plugin {
  return {
    onRequestParse({ request, setRequestParser }) {
      if (request.method === 'POST' && (request.headers.get('content-type') ?? '').toLowerCase().startsWith('multipart/form-data')) {
        setRequestParser(parseMultipart);
      }
    },
  };
}

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

async function parseMultipart(request: Request): Promise<GraphQLParams> {
  let form: FormData;
  try {
    form = await request.formData();
  } catch (error) {
    // Yoga's own refusals while the body streams in (its body size limit: 413) stand as they are.
    if (error instanceof GraphQLError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    if (message.startsWith('File size limit exceeded')) throw tooLarge(message);
    throw badRequest('The multipart body could not be read: send operations, map and one form field per file');
  }
  const operations = jsonField(form, 'operations', true);
  if (Array.isArray(operations)) throw badRequest('Batching is not supported: send one operation per request');
  if (!isObject(operations)) throw badRequest('Multipart form field "operations" must be a JSON object {"query": ..., "variables": ...}');
  const map = jsonField(form, 'map', false);
  if (map === undefined) return operations as GraphQLParams;
  if (!isObject(map)) throw badRequest('Multipart form field "map" must be a JSON object such as {"0": ["variables.input.archive"]}');
  for (const [field, paths] of Object.entries(map)) {
    const file = form.get(field);
    if (!isFile(file)) throw badRequest(`The map names form field "${field}", which is not a file in the request`);
    if (!Array.isArray(paths) || paths.length === 0 || !paths.every((path) => typeof path === 'string')) {
      throw badRequest(`The map's entry "${field}" must be a list of variable paths such as ["variables.input.archive"]`);
    }
    for (const path of paths as string[]) placeFile(operations, path, file);
  }
  return operations as GraphQLParams;
}

function jsonField(form: FormData, name: string, required: boolean): unknown {
  const text = form.get(name);
  if (text === null) {
    if (required) throw badRequest(`Missing multipart form field "${name}"`);
    return undefined;
  }
  if (typeof text !== 'string') throw badRequest(`Multipart form field "${name}" must be text, not a file`);
  try {
    return JSON.parse(text);
  } catch {
    throw badRequest(`Multipart form field "${name}" is not valid JSON`);
  }
}

/** Puts the file where the path says: it must name a `null` placeholder inside `variables`. */
function placeFile(operations: Record<string, unknown>, path: string, file: File): void {
  const keys = path.split('.');
  const misplaced = () => badRequest(`The map path "${path}" must name a null placeholder in the operation's variables, e.g. "variables.input.archive"`);
  if (keys[0] !== 'variables' || keys.length < 2 || keys.some((key) => key === '' || FORBIDDEN_KEYS.has(key))) throw misplaced();
  let parent: unknown = operations;
  for (const key of keys.slice(0, -1)) {
    if (!isObject(parent) && !Array.isArray(parent)) throw misplaced();
    parent = (parent as Record<string, unknown>)[key];
  }
  const last = keys[keys.length - 1]!;
  if ((!isObject(parent) && !Array.isArray(parent)) || !Object.hasOwn(parent, last) || (parent as Record<string, unknown>)[last] !== null) throw misplaced();
  (parent as Record<string, unknown>)[last] = file;
}

/** Yoga's fetch ponyfill has File classes of its own, so this checks the shape, not the class. */
function isFile(value: FormDataEntryValue | null): value is File {
  return typeof value === 'object' && value !== null && typeof value.arrayBuffer === 'function';
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function tooLarge(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'REQUEST_ENTITY_TOO_LARGE', http: { status: 413 } } });
}
