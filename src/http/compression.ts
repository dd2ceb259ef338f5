import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import type { Plugin } from 'graphql-yoga';

const gzip = promisify(zlib.gzip);
const brotli = promisify(zlib.brotliCompress);

type Encoding = 'br' | 'gzip';

/** Below this, compressing saves less than it costs. */
const MIN_COMPRESSED_BYTES = 1024;
/** GraphiQL pages kept compressed (one per encoding and version of the page). */
const MAX_CACHED_PAGES = 4;
const COMPRESSIBLE = /^(application\/(graphql-response\+)?json|text\/html)\b/;

/** Requests answered with the same bytes as earlier ones, by what those bytes belong to (a kept answer of the read cache). */
const repeatedBodies = new WeakMap<Request, object>();
/** The compressed forms of a repeated body, by its owner: they go when it does. */
const compressedBodies = new WeakMap<object, Map<string, Buffer>>();

/**
 * Says that this request's answer is, byte for byte, the body that `owner`
 * stands for, so that its compressed forms are made once and reused (a
 * 150 kB page costs 2-3 ms to compress) for as long as `owner` lives.
 */
export function sameBodyAs(request: Request, owner: object): void {
  repeatedBodies.set(request, owner);
}

/**
 * gzip or brotli for JSON answers and the GraphiQL page, as the client's
 * Accept-Encoding allows (brotli preferred). Only whole, buffered answers
 * are compressed: downloads (Range, ETag of the content), streams (event
 * streams, multipart) and small answers go out as they are. The GraphiQL
 * page gets an ETag and `Cache-Control: no-cache` (browsers revalidate and
 * get a 304), and its compressed forms are kept, since compressing 9 MB
 * costs about a second.
 */
export function compression(): Plugin {
  const pages = new Map<string, Buffer>();
  const compress = async (body: Buffer, encoding: Encoding): Promise<Buffer> =>
    encoding === 'br' ? brotli(body, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 5, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: body.length } }) : gzip(body, { level: 6 });

  return {
    async onResponse({ request, response, setResponse, fetchAPI }) {
      if (response.status !== 200) return;
      const type = response.headers.get('content-type') ?? '';
      if (!COMPRESSIBLE.test(type)) return;
      if (response.headers.has('content-encoding') || response.headers.has('accept-ranges')) return;
      const isPage = type.startsWith('text/html');
      const encoding = preferredEncoding(request.headers.get('accept-encoding'));
      if (!isPage) {
        // Most answers go out as they are: said so in place, without reading the body into a new response.
        const length = response.headers.get('content-length');
        if (!encoding || (length !== null && Number(length) < MIN_COMPRESSED_BYTES)) {
          response.headers.append('vary', 'Accept-Encoding');
          return;
        }
      }
      if (response.body === null) return;
      const headers = new fetchAPI.Headers(response.headers);
      headers.append('vary', 'Accept-Encoding');
      const body = Buffer.from(await response.arrayBuffer());
      let etag: string | undefined;
      if (isPage) {
        const version = createHash('sha256').update(body).digest('base64url').slice(0, 27);
        etag = `"${version}${encoding ? `-${encoding}` : ''}"`;
        headers.set('etag', etag);
        headers.set('cache-control', 'no-cache');
        if (matches(request.headers.get('if-none-match'), etag)) {
          headers.delete('content-length');
          headers.delete('content-type');
          setResponse(new fetchAPI.Response(null, { status: 304, headers }));
          return;
        }
      }
      if (!encoding || body.length < MIN_COMPRESSED_BYTES) {
        setResponse(new fetchAPI.Response(body as unknown as BodyInit, { status: response.status, headers }));
        return;
      }
      let compressed: Buffer;
      if (etag) {
        compressed = pages.get(etag) ?? (await compress(body, encoding));
        if (pages.size >= MAX_CACHED_PAGES && !pages.has(etag)) pages.delete(pages.keys().next().value!);
        pages.set(etag, compressed);
      } else {
        const owner = repeatedBodies.get(request);
        let forms = owner && compressedBodies.get(owner);
        if (owner && !forms) compressedBodies.set(owner, (forms = new Map()));
        // Keyed by the length too: a body that is not the one announced is compressed as any other.
        const form = `${encoding}:${body.length}`;
        compressed = forms?.get(form) ?? (await compress(body, encoding));
        forms?.set(form, compressed);
      }
      headers.set('content-encoding', encoding);
      headers.set('content-length', String(compressed.length));
      setResponse(new fetchAPI.Response(compressed as unknown as BodyInit, { status: response.status, headers }));
    },
  };
}

/** brotli, else gzip, when the Accept-Encoding header allows it (q=0 refuses); null for none. */
export function preferredEncoding(header: string | null): Encoding | null {
  if (!header) return null;
  const accepted = new Map<string, number>();
  for (const part of header.split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((param) => /^\s*q=([\d.]+)\s*$/.exec(param)?.[1]).find((value) => value !== undefined);
    if (name) accepted.set(name, q === undefined ? 1 : Number(q));
  }
  const quality = (name: Encoding) => accepted.get(name) ?? accepted.get('*') ?? 0;
  if (quality('br') > 0 && quality('br') >= quality('gzip')) return 'br';
  if (quality('gzip') > 0) return 'gzip';
  return null;
}

function matches(header: string | null, etag: string): boolean {
  return header !== null && header.split(',').some((candidate) => candidate.trim() === etag || candidate.trim() === '*');
}
