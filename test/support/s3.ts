import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import FilesystemStore from 's3rver/lib/stores/filesystem.js';

// s3rver 3.7.1 keeps each object as files under directories named after the
// key's "/"-separated parts, and its file store does three things real S3
// never does. Each made the store's tests fail now and then under concurrent
// requests (the store was right; the test server was not), so they are
// replaced here, for every test that starts s3rver:
//
// 1. PutObject answered before the object was written (`writeStream.end(buffer)`
//    with no wait and no error handler): a read right after could miss it.
// 2. PutObject and CopyObject wrote the object in place, so a listing or read
//    meanwhile saw part of it (and HEAD then stored the MD5 of that part).
//    S3 makes an object appear whole or not at all: here it is written aside
//    and renamed into place, after its metadata.
// 3. DeleteObject removed the key's directories once they looked empty,
//    racing writes under the same prefix: a concurrent PutObject or
//    CopyObject made its directory, the delete removed it, and the write then
//    failed with ENOENT (or the delete's rmdir with ENOTEMPTY). s3rver answers
//    such failures 500 InternalError; the SDK retries them (3 attempts) and
//    reports the last, which reached a test as an unexpected error about once
//    in a few dozen runs of the collector race. S3 has no directories: here a
//    delete removes the object's files and leaves the (empty) directories,
//    which listings ignore.

const { putMetadata } = FilesystemStore.prototype;

/** Writes `write`'s file aside, then renames it to `objectPath`: readers see the old object or the whole new one. */
async function replaceAtomically(objectPath: string, write: (temporary: string) => Promise<void>): Promise<void> {
  await fs.mkdir(path.dirname(objectPath), { recursive: true });
  // Not ending in "._S3rver_object", so listings skip it.
  const temporary = `${objectPath}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await write(temporary);
    await fs.rename(temporary, objectPath);
  } catch (error) {
    await fs.rm(temporary, { force: true });
    throw error;
  }
}

FilesystemStore.prototype.putObject = async function putObject(object) {
  const objectPath = this.getResourcePath(object.bucket, object.key, 'object');
  const md5 = createHash('md5');
  let size = 0;
  const counted = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      md5.update(chunk);
      size += chunk.length;
      callback(null, chunk);
    },
  });
  let digest = '';
  await replaceAtomically(objectPath, async (temporary) => {
    await pipeline(Buffer.isBuffer(object.content) ? Readable.from([object.content]) : object.content, counted, createWriteStream(temporary));
    digest = md5.digest('hex');
    await putMetadata.call(this, object.bucket, object.key, object.metadata, digest);
  });
  return { size, md5: digest };
};

FilesystemStore.prototype.copyObject = async function copyObject(srcBucket, srcKey, destBucket, destKey, replacementMetadata) {
  const source = (resource: string) => this.getResourcePath(srcBucket, srcKey, resource);
  const target = (resource: string) => this.getResourcePath(destBucket, destKey, resource);
  if (source('object') !== target('object')) {
    await replaceAtomically(target('object'), async (temporary) => {
      await fs.copyFile(source('object'), temporary);
      await fs.copyFile(source('object.md5'), target('object.md5'));
      if (replacementMetadata == null) await fs.copyFile(source('metadata.json'), target('metadata.json'));
    });
  }
  if (replacementMetadata != null) await putMetadata.call(this, destBucket, destKey, replacementMetadata);
  return this.getMetadata(destBucket, destKey);
};

FilesystemStore.prototype.deleteObject = async function deleteObject(bucket, key) {
  // The object file first: once it is gone the key is gone, whatever happens to the rest.
  for (const resource of ['object', 'object.md5', 'metadata.json']) await fs.rm(this.getResourcePath(bucket, key, resource), { force: true });
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
  // s3rver answered concurrent writes under one prefix with a 500
  // InternalError now and then on a loaded machine, which S3 does not give
  // them; the SDK retries a 500, and three attempts (its default) were seen to
  // run out. The file-store replacements above remove the causes found; the
  // test client still makes more attempts, as a margin.
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
