import { GraphQLError, Lexer, Source, TokenKind } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { LRUCache } from 'lru-cache';

/**
 * Checks on a GraphQL request made before it is parsed or run, for input
 * that would otherwise surface as an internal error:
 *
 * - nesting: graphql-js parses selections recursively, so a few thousand
 *   nested `{` overflow the stack before any depth limit runs; the request's
 *   tokens are scanned (iteratively) first and refused past `maxNesting`.
 * - NUL characters: PostgreSQL text cannot hold them, so a NUL in a string
 *   literal or a variable can never be valid; refused up front instead of
 *   failing inside a query.
 *
 * Both are refused as HTTP 400 with a BAD_USER_INPUT error; nothing runs.
 */
export function inputGuards(options: { maxNesting: number; maxTokens: number }): Plugin {
  // Clients send the same few documents again and again: each is scanned once (as Yoga parses each once).
  const verdicts = new LRUCache<string, { problem: string | null }>({ max: DOCUMENTS_REMEMBERED });
  const problemOf = (query: string): string | null => {
    if (query.length > MAX_REMEMBERED_LENGTH) return documentProblem(query, options);
    let verdict = verdicts.get(query);
    if (!verdict) verdicts.set(query, (verdict = { problem: documentProblem(query, options) }));
    return verdict.problem;
  };
  return {
    onParams({ params, setResult }) {
      const problem = (typeof params.query === 'string' ? problemOf(params.query) : null) ?? variablesProblem(params.variables);
      if (problem) setResult({ errors: [badRequest(problem)] });
    },
  };
}

/** As many documents as Yoga's parser cache keeps; longer ones (no real operation is) are scanned every time. */
const DOCUMENTS_REMEMBERED = 1024;
const MAX_REMEMBERED_LENGTH = 64 * 1024;

export function badRequest(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } } });
}

const OPENING = new Set<TokenKind>([TokenKind.BRACE_L, TokenKind.BRACKET_L, TokenKind.PAREN_L]);
const CLOSING = new Set<TokenKind>([TokenKind.BRACE_R, TokenKind.BRACKET_R, TokenKind.PAREN_R]);

function documentProblem(query: string, options: { maxNesting: number; maxTokens: number }): string | null {
  const lexer = new Lexer(new Source(query));
  let depth = 0;
  try {
    // Past the token limit the parser refuses the document itself (graphql-armor).
    for (let count = 0; count < options.maxTokens; count += 1) {
      const token = lexer.advance();
      if (token.kind === TokenKind.EOF) return null;
      if (OPENING.has(token.kind)) {
        depth += 1;
        if (depth > options.maxNesting) {
          return `The document nests brackets more than ${options.maxNesting} deep; no valid operation on this API needs that`;
        }
      } else if (CLOSING.has(token.kind)) {
        depth -= 1;
      } else if ((token.kind === TokenKind.STRING || token.kind === TokenKind.BLOCK_STRING) && token.value.includes('\0')) {
        return 'A string in the document contains a NUL character (\\u0000), which no text field accepts';
      }
    }
  } catch {
    // A syntax error: the parser reports it with its position.
  }
  return null;
}

function variablesProblem(variables: unknown): string | null {
  if (variables === undefined || variables === null) return null;
  const path = nulPath(variables, '$');
  return path === null ? null : `Variable ${path} contains a NUL character (\\u0000), which no text field accepts`;
}

/** Where in a JSON value (variables) a string with a NUL is, or null; an iterative walk, so deep values cannot overflow the stack. */
function nulPath(root: unknown, rootPath: string): string | null {
  const stack: Array<[unknown, string]> = [[root, rootPath]];
  while (stack.length > 0) {
    const [value, path] = stack.pop()!;
    if (typeof value === 'string') {
      if (value.includes('\0')) return path;
    } else if (Array.isArray(value)) {
      value.forEach((item, index) => stack.push([item, `${path}[${index}]`]));
    } else if (isPlainObject(value)) {
      for (const [key, item] of Object.entries(value)) {
        if (key.includes('\0')) return path;
        stack.push([item, path === '$' ? `$${key}` : `${path}.${key}`]);
      }
    }
  }
  return null;
}

/** JSON objects only: files placed into the variables by a multipart request are not walked. */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/**
 * graphql-armor hides "Did you mean" field suggestions in validation errors
 * only, and its pattern misses enum values ("Did you mean the enum value
 * ..."), which also appear when variables are coerced. This hides every
 * suggestion in every error the store sends, so the schema cannot be
 * explored by guessing.
 */
export function hideSuggestions(): Plugin {
  return {
    onResultProcess({ result }) {
      for (const single of Array.isArray(result) ? result : [result]) {
        if (!single || typeof single !== 'object' || !('errors' in single) || !Array.isArray(single.errors)) continue;
        for (const error of single.errors) {
          if (error instanceof GraphQLError && error.message.includes('Did you mean')) {
            error.message = error.message.replace(/\s*Did you mean [^?]*\?/g, '').trim();
          }
        }
      }
    },
  };
}
