import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';

/** Only a single non-negative integer is a valid Content-Length (comma-joined values are a smuggling attempt). */
const CONTENT_LENGTH = /^\d+$/;

/**
 * Refuses GraphQL request bodies past `limit` bytes, as Yoga's own
 * `maxRequestBodySize` does (same errors: 413 REQUEST_ENTITY_TOO_LARGE
 * "Request body too large", 400 for a malformed Content-Length), at a
 * fraction of its cost. Yoga wraps every body in a counting stream, which
 * costs every request a stream pipeline, an abort signal and a
 * DOMException when it closes (~5 % of a small request's CPU). A request
 * that states its Content-Length is checked by that number alone: Node's
 * HTTP parser hands over exactly that many bytes. Only a body of unknown
 * length (chunked, or a Request built in-process) is counted as it streams.
 *
 * It must come after every plugin that chooses the request parser
 * (strictMultipart), so that it wraps the parser finally chosen.
 */
export function requestBodyLimit(limit: number): Plugin {
  return {
    onRequestParse({ request, requestParser, setRequestParser, fetchAPI }) {
      const contentLength = request.headers.get('content-length');
      if (contentLength !== null) {
        if (!CONTENT_LENGTH.test(contentLength)) throw invalidContentLength();
        if (Number(contentLength) > limit) throw bodyTooLarge();
        return;
      }
      if (!requestParser || request.body === null) return;
      const parse = requestParser;
      setRequestParser((parsed) => parse(countingBody(parsed, limit, fetchAPI)));
    },
  };
}

/** The request with a body that fails with bodyTooLarge() once more than `limit` bytes went through. */
function countingBody(request: Request, limit: number, fetchAPI: { Request: typeof Request; TransformStream: typeof TransformStream }): Request {
  const body = request.body;
  if (!body) return request;
  // A native stream cannot be piped into the fetch ponyfill's TransformStream (graphql-yoga#4583).
  const Transform = body instanceof ReadableStream ? globalThis.TransformStream : fetchAPI.TransformStream;
  let bytesRead = 0;
  const counted = body.pipeThrough(
    new Transform<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        bytesRead += chunk.byteLength;
        if (bytesRead > limit) controller.error(bodyTooLarge());
        else controller.enqueue(chunk);
      },
    }),
  );
  return new fetchAPI.Request(request.url, { method: request.method, headers: request.headers, signal: request.signal, body: counted, duplex: 'half' } as RequestInit);
}

function bodyTooLarge(): GraphQLError {
  return new GraphQLError('Request body too large', { extensions: { code: 'REQUEST_ENTITY_TOO_LARGE', http: { status: 413 } } });
}

function invalidContentLength(): GraphQLError {
  return new GraphQLError('Content-Length header is invalid.', { extensions: { code: 'BAD_REQUEST', http: { status: 400 } } });
}
