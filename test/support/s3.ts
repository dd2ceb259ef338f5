import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import FilesystemStore from 's3rver/lib/stores/filesystem.js';

/**
 * s3rver 3.7.1 answers a small PutObject (a body it received whole) before
 * the object is written: `writeStream.end(buffer)` with no wait and no error
 * handler. A read right after may miss it, and a delete of its "directory"
 * meanwhile crashes the test process with an unhandled ENOENT. Real S3
 * answers only once the object is stored; this makes s3rver do the same.
 */
FilesystemStore.prototype.putObject = async function putObject(object) {
  const objectPath = this.getResourcePath(object.bucket, object.key, 'object');
  await fs.mkdir(path.dirname(objectPath), { recursive: true });
  const md5 = createHash('md5');
  let size = 0;
  const counted = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      md5.update(chunk);
      size += chunk.length;
      callback(null, chunk);
    },
  });
  await pipeline(Buffer.isBuffer(object.content) ? Readable.from([object.content]) : object.content, counted, createWriteStream(objectPath));
  const digest = md5.digest('hex');
  await this.putMetadata(object.bucket, object.key, object.metadata, digest);
  return { size, md5: digest };
};

/** s3rver's fixed credentials: any signed request with them is accepted. */
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
export const TEST_BUCKET = 'charmstore-test';

export interface TestS3Server {
  endpoint: string;
  bucket: string;
  /** A client for the test to look inside the bucket. */
  client: S3Client;
  /** The environment a store process needs to use this bucket. */
  env(prefix: string): Record<string, string>;
  close(): Promise<void>;
}

/**
 * s3rver (a test server speaking the S3 protocol, files on disk) in this
 * process on a free loopback port, with one bucket. Not a production store.
 */
export async function startS3Server(): Promise<TestS3Server> {
  const directory = await fs.mkdtemp(path.join(os.tmpdir(), 'charmstore-s3rver-'));
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: [{ name: TEST_BUCKET }] });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  // s3rver writes an object's file and metadata non-atomically: concurrent
  // writes of one key (identical content, as the conformance tests make) now
  // and then get a 500 InternalError on a loaded machine, which S3 does not
  // give them. The SDK retries a 500; three attempts (its default) were seen
  // to run out under load, so the test client makes more.
  const client = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: S3RVER_CREDENTIALS, maxAttempts: 10 });
  return {
    endpoint,
    bucket: TEST_BUCKET,
    client,
    env: (prefix) => ({
      STORE_BLOB_BACKEND: 's3',
      STORE_S3_BUCKET: TEST_BUCKET,
      STORE_S3_PREFIX: prefix,
      STORE_S3_ENDPOINT: endpoint,
      STORE_S3_REGION: 'us-east-1',
      STORE_S3_FORCE_PATH_STYLE: 'true',
      AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
    }),
    close: async () => {
      client.destroy();
      await server.close();
      await fs.rm(directory, { recursive: true, force: true });
    },
  };
}
