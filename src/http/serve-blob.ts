import type { BlobStore } from '../blobs/blob-store.js';
import type { Download } from '../services/downloads/find-download.js';

type ResponseConstructor = typeof Response;

/**
 * Streams a blob as an HTTP response: Content-Length, a strong ETag (the
 * SHA-384), Digest and Repr-Digest/Content-Digest (SHA-256, RFC 9530),
 * Content-Disposition, single byte ranges (206/416) and If-None-Match (304);
 * or, when the blob store offers one, a redirect (302) to a short-lived URL
 * of the bucket, which serves ranges itself.
 */
export async function serveBlob(request: Request, download: Download, blobs: BlobStore, ResponseClass: ResponseConstructor): Promise<Response> {
  const etag = `"${download.sha384}"`;
  const sha256 = Buffer.from(download.sha256, 'hex').toString('base64');
  const headers: Record<string, string> = {
    'accept-ranges': 'bytes',
    'cache-control': 'private, no-cache',
    'content-disposition': `attachment; filename="${download.filename.replace(/["\\]/g, '_')}"`,
    'content-type': download.contentType,
    etag,
    // Digest (RFC 3230) and Repr-Digest describe the whole representation, ranges included.
    digest: `sha-256=${sha256}`,
    'repr-digest': `sha-256=:${sha256}:`,
  };
  if (ifNoneMatchHits(request.headers.get('if-none-match'), etag)) {
    return new ResponseClass(null, { status: 304, headers: { etag, 'cache-control': headers['cache-control']! } });
  }
  // A presigned URL hands the bytes (ranges included) to the bucket. Not
  // with If-Range: the bucket's ETag is not the store's, so it would send
  // the whole content instead of the range.
  if (request.method === 'GET' && blobs.downloadRedirect && request.headers.get('if-range') === null) {
    const location = await blobs.downloadRedirect(download.sha384, { contentDisposition: headers['content-disposition']!, contentType: download.contentType });
    if (location !== null) return new ResponseClass(null, { status: 302, headers: { location, etag, 'cache-control': 'private, no-store' } });
  }
  const size = download.size;
  const range = request.method === 'GET' ? requestedRange(request, etag, size) : null;
  if (range === 'unsatisfiable') {
    return new ResponseClass(JSON.stringify({ error: `The requested range is outside the ${size} bytes of content` }), {
      status: 416,
      headers: { 'content-range': `bytes */${size}`, 'content-type': 'application/json' },
    });
  }
  const [start, end] = range ?? [0, size];
  let status = 200;
  if (range) {
    status = 206;
    headers['content-range'] = `bytes ${start}-${end - 1}/${size}`;
  } else {
    // Content-Digest covers the bytes of this message, which is the whole content only without a range.
    headers['content-digest'] = `sha-256=:${sha256}:`;
  }
  headers['content-length'] = String(end - start);
  if (request.method === 'HEAD') return new ResponseClass(null, { status, headers });
  if (download.inline) return new ResponseClass(new Uint8Array(download.inline.subarray(start, end)), { status, headers });
  const source = await blobs.source(download.sha384);
  return new ResponseClass(source.openRange(start, end) as unknown as BodyInit, { status, headers });
}

function ifNoneMatchHits(header: string | null, etag: string): boolean {
  if (header === null) return false;
  return header.split(',').some((candidate) => {
    const tag = candidate.trim().replace(/^W\//, '');
    return tag === '*' || tag === etag;
  });
}

/** One `bytes=` range as [start, end), null to serve everything (no, several, malformed or stale ranges). */
function requestedRange(request: Request, etag: string, size: number): [number, number] | 'unsatisfiable' | null {
  const header = request.headers.get('range');
  if (header === null) return null;
  const ifRange = request.headers.get('if-range');
  if (ifRange !== null && ifRange.trim() !== etag) return null;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === '' && match[2] === '')) return null;
  if (match[1] === '') {
    const suffix = Number(match[2]);
    if (suffix === 0) return 'unsatisfiable';
    return [Math.max(0, size - suffix), size];
  }
  const start = Number(match[1]);
  const last = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  if (start >= size) return 'unsatisfiable';
  if (last < start) return null;
  return [start, last + 1];
}
