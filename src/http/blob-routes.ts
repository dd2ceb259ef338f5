import { IncomingMessage } from 'node:http';
import type { Plugin } from 'graphql-yoga';
import { BlobTooLargeError } from '../blobs/blob-store.js';
import { countedDownloadChannel } from '../domain/download-channel.js';
import { downloadPathProblem, parseArchivePath, parseResourcePath, ARCHIVES_PREFIX, DOWNLOAD_CHANNEL_PARAMETER, RESOURCES_PREFIX } from '../domain/download-paths.js';
import { AuthenticationError } from '../domain/errors.js';
import type { Logger } from '../logger.js';
import type { ServiceContext } from '../services/context.js';
import { findArchiveDownload, findResourceDownload } from '../services/downloads/find-download.js';
import type { DownloadCounter } from '../services/downloads/download-counter.js';
import { createUpload } from '../services/uploads/create-upload.js';
import { faultResponse } from './faults.js';
import type { StoreServerContext } from './app.js';
import type { StoreMetrics } from './metrics.js';
import { serveBlob } from './serve-blob.js';

/** Builds the service context of a request (authenticating its bearer token). */
export type ServicesFor = (request: Request) => Promise<ServiceContext>;

const UPLOADS_PATH = '/uploads';

function jsonError(ResponseClass: typeof Response, status: number, error: string, headers: Record<string, string> = {}): Response {
  return new ResponseClass(JSON.stringify({ error }), { status, headers: { 'content-type': 'application/json', ...headers } });
}

function unauthorized(ResponseClass: typeof Response, message: string): Response {
  return jsonError(ResponseClass, 401, message, { 'www-authenticate': 'Bearer' });
}

/** The request's service context, or the 401 answer when its bearer token is bad. */
async function servicesOrUnauthorized(servicesFor: ServicesFor, request: Request, ResponseClass: typeof Response): Promise<ServiceContext | Response> {
  try {
    return await servicesFor(request);
  } catch (error) {
    if (error instanceof AuthenticationError) return unauthorized(ResponseClass, error.message);
    throw error;
  }
}

/**
 * `POST /uploads`: the raw body is streamed into the blob store while being
 * hashed (never held in memory whole); answers `{uploadId, sha384, size,
 * expiresAt}` for one later push or pushResource.
 */
export function uploadRoute(servicesFor: ServicesFor, maxUploadBytes: number, logger: Logger, metrics: StoreMetrics): Plugin<object, StoreServerContext> {
  const answer = async (request: Request, nodeRequest: IncomingMessage | undefined, ResponseClass: typeof Response): Promise<Response> => {
    if (request.method !== 'POST') return jsonError(ResponseClass, 405, 'Send the content with POST /uploads', { allow: 'POST' });
    const ctx = await servicesOrUnauthorized(servicesFor, request, ResponseClass);
    if (ctx instanceof ResponseClass) return ctx;
    if (!ctx.actor) return unauthorized(ResponseClass, 'Sign in first: uploads need a bearer token from the login mutation');
    const tooLarge = () => jsonError(ResponseClass, 413, `The upload is larger than the limit of ${maxUploadBytes} bytes (STORE_MAX_UPLOAD_BYTES)`);
    const declared = Number(request.headers.get('content-length') ?? Number.NaN);
    if (declared > maxUploadBytes) return tooLarge();
    const body = nodeRequest ? nodeRequestChunks(nodeRequest) : request.body && chunksOf(request.body);
    if (!body) return jsonError(ResponseClass, 400, 'The upload has no body: send the content as the raw request body');
    try {
      const receipt = await createUpload(ctx, body);
      metrics.uploadBytes.inc(receipt.size);
      return new ResponseClass(
        JSON.stringify({ uploadId: receipt.uploadId, sha384: receipt.sha384, size: receipt.size, expiresAt: receipt.expiresAt.toISOString() }),
        { status: 201, headers: { 'content-type': 'application/json' } },
      );
    } catch (error) {
      if (error instanceof BlobTooLargeError) return tooLarge();
      throw error;
    }
  };
  return {
    async onRequest({ request, serverContext, url, endResponse, fetchAPI }) {
      if (url.pathname !== UPLOADS_PATH) return;
      const nodeRequest = serverContext.req instanceof IncomingMessage ? serverContext.req : undefined;
      endResponse(await answer(request, nodeRequest, fetchAPI.Response).catch((error: unknown) => faultResponse(error, logger, fetchAPI.Response)));
    },
  };
}

/**
 * The body's chunks, read one at a time (backpressure: the next is read when
 * the blob store has written the last). Stopping early releases the body
 * instead of cancelling it: cancelling would destroy the connection before
 * the 413 reaches the client; released, the server discards the rest.
 */
async function* chunksOf(body: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    reader.releaseLock();
  }
}

/**
 * The body straight from Node's request, when the app runs in node:http (not through `app.fetch`): the fetch
 * API's `request.body` is a ReadableStream wrapped around the same IncomingMessage, which costs a promise, a
 * read request and wrapper objects per ~64 KiB chunk on top of Node's own (see docs/performance.md). Read one
 * chunk at a time (backpressure as in chunksOf); stopping early leaves the request open and discards the rest
 * of it, so that the 413 reaches the client instead of a reset connection.
 */
async function* nodeRequestChunks(request: IncomingMessage): AsyncGenerator<Uint8Array> {
  let finished = false;
  try {
    for await (const chunk of request.iterator({ destroyOnReturn: false })) yield chunk as Buffer;
    finished = true;
  } finally {
    if (!finished) request.resume();
  }
}

/**
 * A download counts once: a GET answered whole (200) or from its first byte
 * (206 for a range starting at 0); the later ranges of a resumed or
 * parallel download, HEAD and 304 do not count.
 */
function isCountedDownload(request: Request, response: Response): boolean {
  if (request.method !== 'GET') return false;
  // 302: the bucket serves the bytes (S3 presigned url), counted when handed out.
  return response.status === 200 || response.status === 302 || (response.status === 206 && (response.headers.get('content-range') ?? '').startsWith('bytes 0-'));
}

/**
 * `GET`/`HEAD` `/archives/<entity url path>/<revision>` and
 * `/resources/<entity url path>/<resource>/<revision>`: the same bearer
 * authentication and visibility as the API; whatever the caller may not
 * read is 404, exactly like what does not exist.
 */
export function downloadRoutes(servicesFor: ServicesFor, counter: DownloadCounter, logger: Logger, metrics: StoreMetrics): Plugin {
  const answer = async (request: Request, url: URL, isArchive: boolean, ResponseClass: typeof Response): Promise<Response> => {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return jsonError(ResponseClass, 405, 'Downloads are GET (or HEAD) requests', { allow: 'GET, HEAD' });
    }
    const pathProblem = downloadPathProblem(url.pathname);
    if (pathProblem) return jsonError(ResponseClass, 400, pathProblem);
    const ctx = await servicesOrUnauthorized(servicesFor, request, ResponseClass);
    if (ctx instanceof ResponseClass) return ctx;
    let download;
    if (isArchive) {
      const path = parseArchivePath(url.pathname);
      download = path && (await findArchiveDownload(ctx, path));
    } else {
      const path = parseResourcePath(url.pathname);
      download = path && (await findResourceDownload(ctx, path));
    }
    if (!download) return jsonError(ResponseClass, 404, `Nothing to download at ${url.pathname} (or you may not see it)`);
    const response = await serveBlob(request, download, ctx.blobs, ResponseClass);
    if (request.method === 'GET' && (response.status === 200 || response.status === 206)) {
      metrics.downloadBytes.inc({ kind: isArchive ? 'archive' : 'resource' }, Number(response.headers.get('content-length') ?? 0));
    }
    if (isCountedDownload(request, response)) {
      counter.record({ ...download.counted, channel: countedDownloadChannel(url.searchParams.get(DOWNLOAD_CHANNEL_PARAMETER)) });
    }
    return response;
  };
  return {
    async onRequest({ request, url, endResponse, fetchAPI }) {
      const isArchive = url.pathname.startsWith(ARCHIVES_PREFIX);
      if (!isArchive && !url.pathname.startsWith(RESOURCES_PREFIX)) return;
      endResponse(await answer(request, url, isArchive, fetchAPI.Response).catch((error: unknown) => faultResponse(error, logger, fetchAPI.Response)));
    },
  };
}
