import fs from 'node:fs';
import { Readable } from 'node:stream';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';

/** A failure the store reported (a typed error, a GraphQL error, an HTTP error) or reaching it failed: exit code 1. */
export class StoreCallError extends Error {
  constructor(
    message: string,
    /** The store's error type, e.g. "NotFoundError", when it said one. */
    readonly type?: string,
    readonly field?: string | null,
  ) {
    super(message);
  }
}

/** What `POST /uploads` answers. */
export interface UploadReceipt {
  uploadId: string;
  sha384: string;
  size: number;
  expiresAt: string;
}

/** Told how many bytes of an upload have been read from disk and sent. */
export type ProgressListener = (sentBytes: number) => void;

/**
 * Every request carries this header: Yoga's CSRF prevention (when enabled)
 * refuses multipart requests without it, and it is harmless otherwise.
 */
const CSRF_HEADERS = { 'x-graphql-yoga-csrf': '1' };

interface GraphQLBody<R> {
  data?: R | null;
  errors?: Array<{ message: string; extensions?: { code?: string } }>;
}

/** A GraphQL client for one store: typed documents from codegen in, typed data out. */
export class StoreClient {
  constructor(
    /** The store's base address, e.g. "http://127.0.0.1:4000" (no trailing slash). */
    readonly url: string,
    private readonly token: string | undefined,
  ) {}

  get signedIn(): boolean {
    return this.token !== undefined;
  }

  /** Runs a query or mutation sent as JSON. */
  async execute<R, V>(document: TypedDocumentNode<R, V>, variables: V): Promise<R> {
    return this.send<R>({
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: print(document), variables }),
    });
  }

  /**
   * Runs an operation as a GraphQL multipart request with files from disk.
   * `files` maps a variable path such as "input.archive" to a file path; the
   * file is streamed from disk (the store holds multipart files in memory, so
   * big ones go through `upload` instead).
   */
  async executeMultipart<R, V>(document: TypedDocumentNode<R, V>, variables: V, files: Record<string, string>): Promise<R> {
    const form = new FormData();
    const names = Object.keys(files);
    form.set('operations', JSON.stringify({ query: print(document), variables }));
    form.set('map', JSON.stringify(Object.fromEntries(names.map((name, index) => [String(index), [`variables.${name}`]]))));
    for (const [index, name] of names.entries()) {
      const filePath = files[name]!;
      form.set(String(index), await fs.openAsBlob(filePath), baseName(filePath));
    }
    return this.send<R>({ headers: {}, body: form });
  }

  /** Streams a file to `POST /uploads`, reporting progress; the receipt's uploadId goes into push or pushResource. */
  async upload(filePath: string, onProgress?: ProgressListener): Promise<UploadReceipt> {
    const size = (await fs.promises.stat(filePath)).size;
    let sent = 0;
    const source = fs.createReadStream(filePath, { highWaterMark: 1024 * 1024 });
    source.on('data', (chunk) => {
      sent += chunk.length;
      onProgress?.(sent);
    });
    const response = await this.fetch(`${this.url}/uploads`, {
      method: 'POST',
      headers: { ...this.authorization(), ...CSRF_HEADERS, 'content-type': 'application/octet-stream', 'content-length': String(size) },
      body: Readable.toWeb(source) as ReadableStream,
      duplex: 'half',
    } as RequestInit);
    const body = (await readJson(response)) as Partial<UploadReceipt> & { error?: string; message?: string };
    if (!response.ok || !body.uploadId) {
      throw new StoreCallError(body.message ?? body.error ?? `POST /uploads answered ${response.status}`, response.status === 401 ? 'AuthenticationError' : undefined);
    }
    return body as UploadReceipt;
  }

  private async send<R>(init: { headers: Record<string, string>; body: string | FormData }): Promise<R> {
    const response = await this.fetch(`${this.url}/graphql`, {
      method: 'POST',
      headers: { ...this.authorization(), ...CSRF_HEADERS, ...init.headers },
      body: init.body,
    });
    const body = (await readJson(response)) as GraphQLBody<R>;
    const first = body.errors?.[0];
    if (first) {
      const type = first.extensions?.code === 'UNAUTHENTICATED' || response.status === 401 ? 'AuthenticationError' : undefined;
      throw new StoreCallError(first.message, type);
    }
    if (!response.ok || !body.data) throw new StoreCallError(`The store answered HTTP ${response.status} without data`);
    return body.data;
  }

  private authorization(): Record<string, string> {
    return this.token ? { authorization: `Bearer ${this.token}` } : {};
  }

  private async fetch(url: string, init: RequestInit): Promise<Response> {
    try {
      return await fetch(url, init);
    } catch (error) {
      const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : String(error);
      throw new StoreCallError(`Cannot reach the store at ${this.url}: ${cause} (set --url or CHARMSTORE_URL)`);
    }
  }
}

async function readJson(response: Response): Promise<unknown> {
  const text = await response.text();
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new StoreCallError(`The store answered HTTP ${response.status} with something that is not JSON: ${text.slice(0, 200)}`);
  }
}

function baseName(filePath: string): string {
  return filePath.split(/[\\/]/).pop() ?? filePath;
}

/** A mutation's union result: the success type, or a typed error with a message. */
interface UnionResult {
  __typename: string;
}

/**
 * Narrows a mutation result to its success type; a typed error (any
 * `__typename` other than `success`) becomes a StoreCallError carrying the
 * store's own message.
 */
export function expectSuccess<T extends UnionResult, N extends T['__typename']>(result: T, success: N): Extract<T, { __typename: N }> {
  if (result.__typename === success) return result as Extract<T, { __typename: N }>;
  const failure = result as UnionResult & { message?: string; field?: string | null };
  throw new StoreCallError(failure.message ?? `The store answered ${result.__typename}`, result.__typename, failure.field);
}
