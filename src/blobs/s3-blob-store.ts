import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { S3Settings } from '../config.js';
import type { BlobStore, ByteSource, DownloadRedirect, StagedBlob, StoredBlob } from './blob-store.js';
import { BlobTooLargeError } from './blob-store.js';

const SHA384_HEX = /^[0-9a-f]{96}$/;
/** S3's smallest multipart part (except the last), and the default part size. */
const MIN_PART_BYTES = 5 * 1024 * 1024;

export interface S3BlobStoreOptions {
  client: S3Client;
  bucket: string;
  /** "" or ending in "/". */
  prefix: string;
  /** Downloads redirect to presigned URLs valid this long; 0 never redirects. */
  presignSeconds: number;
  /** Multipart part size (default and least 5 MiB) and parts sent at once (default 2): see `stage`. */
  partBytes?: number;
  queueSize?: number;
}

/**
 * Blobs as objects of an S3-compatible bucket: `<prefix>blobs/<sha384>`.
 * Content is streamed (multipart, a few parts in memory at a time) to a
 * unique key under `<prefix>staging/` while hashed; `commit` copies it to
 * its content-addressed key with CopyObject, which makes the object appear
 * whole or not at all. The staged object stays until `discard`, so a retried
 * transaction can commit again, as with the filesystem store.
 *
 * The collector's argument (services/blobs/collect-garbage.ts) carries over
 * unchanged because it needs only this of the store: once `commit` (or
 * `size`) has answered, later reads see the object, and once `remove` has
 * answered, later reads do not. S3 is strongly consistent in that sense for
 * PUT, COPY, DELETE, HEAD and LIST (AWS since December 2020; MinIO; Ceph RGW
 * within one zone); an eventually consistent store (Ceph multisite replicas,
 * old S3 clones) would break it and is not supported.
 */
export class S3BlobStore implements BlobStore {
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly presignSeconds: number;
  private readonly partBytes: number;
  private readonly queueSize: number;

  constructor(options: S3BlobStoreOptions) {
    this.client = options.client;
    this.bucket = options.bucket;
    this.prefix = options.prefix;
    this.presignSeconds = options.presignSeconds;
    this.partBytes = Math.max(MIN_PART_BYTES, options.partBytes ?? MIN_PART_BYTES);
    this.queueSize = Math.max(1, options.queueSize ?? 2);
  }

  /** A client from the settings and the AWS SDK's credential chain; fails now, not at the first upload, when the bucket cannot be reached. */
  static async open(settings: S3Settings): Promise<S3BlobStore> {
    const client = new S3Client({
      ...(settings.endpoint === undefined ? {} : { endpoint: settings.endpoint }),
      ...(settings.region === undefined ? {} : { region: settings.region }),
      forcePathStyle: settings.forcePathStyle,
    });
    await client.send(new HeadBucketCommand({ Bucket: settings.bucket }));
    return new S3BlobStore({
      client,
      bucket: settings.bucket,
      prefix: settings.prefix,
      presignSeconds: settings.presignSeconds,
      partBytes: settings.partBytes,
      queueSize: settings.queueSize,
    });
  }

  keyOf(sha384: string): string {
    if (!SHA384_HEX.test(sha384)) throw new Error(`not a sha384 digest: ${sha384}`);
    return `${this.prefix}blobs/${sha384}`;
  }

  async stage(content: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, maxBytes: number): Promise<StagedBlob> {
    const stagingKey = `${this.prefix}staging/${Date.now()}-${randomBytes(8).toString('hex')}`;
    const sha384 = createHash('sha384');
    const sha256 = createHash('sha256');
    let size = 0;
    let tooLarge: BlobTooLargeError | undefined;
    async function* hashed(): AsyncGenerator<Uint8Array> {
      for await (const chunk of content) {
        size += chunk.byteLength;
        if (size > maxBytes) throw (tooLarge = new BlobTooLargeError(maxBytes));
        sha384.update(chunk);
        sha256.update(chunk);
        yield chunk;
      }
    }
    // What an upload holds in memory, whatever its size (STORE_S3_PART_MIB, STORE_S3_UPLOAD_QUEUE):
    // `queueSize` parts being sent, the part being filled from the request's
    // chunks, and lib-storage's concatenation of those chunks into the next
    // part; about (queueSize + 2) x partSize, 20 MiB with the defaults.
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key: stagingKey, Body: Readable.from(hashed(), { objectMode: false }) },
      partSize: this.partBytes,
      queueSize: this.queueSize,
      // A failed upload aborts its multipart upload (parts of a crashed process are for the bucket's lifecycle rule).
      leavePartsOnError: false,
    });
    try {
      await upload.done();
    } catch (error) {
      await this.deleteKey(stagingKey).catch(() => undefined);
      throw tooLarge ?? error;
    }
    const digest = { sha384: sha384.digest('hex'), sha256: sha256.digest('hex'), size };
    let discarded = false;
    return {
      ...digest,
      source: () => this.objectSource(stagingKey, size),
      commit: async () => {
        if (discarded) throw new Error('a discarded blob cannot be committed');
        const target = this.keyOf(digest.sha384);
        // Under the blob's lock (see the class comment): the collector cannot
        // remove an object seen here before the referencing row commits.
        if ((await this.headSize(target)) !== null) return;
        await this.client.send(new CopyObjectCommand({ Bucket: this.bucket, Key: target, CopySource: copySource(this.bucket, stagingKey) }));
      },
      discard: async () => {
        discarded = true;
        await this.deleteKey(stagingKey);
      },
    };
  }

  async size(sha384: string): Promise<number | null> {
    return this.headSize(this.keyOf(sha384));
  }

  async source(sha384: string): Promise<ByteSource> {
    const key = this.keyOf(sha384);
    const size = await this.headSize(key);
    if (size === null) throw new Error(`blob ${sha384} is missing from bucket ${this.bucket}`);
    return this.objectSource(key, size);
  }

  async *list(): AsyncIterable<StoredBlob> {
    for await (const object of this.objects(`${this.prefix}blobs/`)) {
      const sha384 = object.key.slice(`${this.prefix}blobs/`.length);
      if (SHA384_HEX.test(sha384)) yield { sha384, modifiedAt: object.modifiedAt };
    }
  }

  async remove(sha384: string): Promise<void> {
    await this.deleteKey(this.keyOf(sha384));
  }

  async removeStaleStaging(before: Date): Promise<number> {
    let removed = 0;
    for await (const object of this.objects(`${this.prefix}staging/`)) {
      if (object.modifiedAt < before) {
        await this.deleteKey(object.key);
        removed += 1;
      }
    }
    return removed;
  }

  async downloadRedirect(sha384: string, response: DownloadRedirect): Promise<string | null> {
    if (this.presignSeconds === 0) return null;
    const command = new GetObjectCommand({
      Bucket: this.bucket,
      Key: this.keyOf(sha384),
      // The bucket answers with the headers the store would have sent.
      ResponseContentDisposition: response.contentDisposition,
      ResponseContentType: response.contentType,
    });
    return getSignedUrl(this.client, command, { expiresIn: this.presignSeconds });
  }

  private async headSize(key: string): Promise<number | null> {
    try {
      return (await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }))).ContentLength ?? 0;
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  private async deleteKey(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }

  private objectSource(key: string, size: number): ByteSource {
    const { client, bucket } = this;
    return {
      size,
      openRange: (start, end) => {
        if (end <= start) return Readable.from([]);
        // Lazily: the request starts when the stream is first read, and a consumer that stops early closes it.
        async function* body(): AsyncGenerator<Uint8Array> {
          const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key, Range: `bytes=${start}-${end - 1}` }));
          const stream = object.Body as Readable;
          try {
            yield* stream;
          } finally {
            stream.destroy();
          }
        }
        return Readable.from(body(), { objectMode: false });
      },
    };
  }

  private async *objects(prefix: string): AsyncIterable<{ key: string; modifiedAt: Date }> {
    let continuationToken: string | undefined;
    do {
      const page = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: continuationToken }));
      for (const object of page.Contents ?? []) {
        if (object.Key !== undefined) yield { key: object.Key, modifiedAt: object.LastModified ?? new Date(0) };
      }
      continuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (continuationToken !== undefined);
  }
}

function isNotFound(error: unknown): boolean {
  return error instanceof S3ServiceException && (error.$metadata.httpStatusCode === 404 || error.name === 'NotFound' || error.name === 'NoSuchKey');
}

/** CopySource is "bucket/key", URL-encoded segment by segment. */
function copySource(bucket: string, key: string): string {
  return [bucket, ...key.split('/')].map(encodeURIComponent).join('/');
}
