import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3BlobStore } from '../../src/blobs/s3-blob-store.js';
import { openBlobStore } from '../../src/blobs/open-blob-store.js';
import { ConfigError, loadConfig } from '../../src/config.js';
import { PushDocument } from '../generated/graphql.js';
import { createUserAndLogin, loginAdmin } from '../support/accounts.js';
import { upload } from '../support/push.js';
import { startS3Server, type TestS3Server } from '../support/s3.js';
import { createTestStore } from '../support/store.js';
import { charmZip } from '../support/zip.js';
import { describeBlobStoreConformance } from './conformance.js';

// s3rver, a test server speaking the S3 protocol, in this process: see docs/operations.md for what was verified where.
let s3: TestS3Server;
beforeAll(async () => {
  s3 = await startS3Server();
});
afterAll(() => s3?.close());

/** Each store gets its own prefix of the one bucket, which also proves prefixes keep stores apart. */
const freshStore = (presignSeconds = 0) =>
  new S3BlobStore({ client: s3.client, bucket: s3.bucket, prefix: `t-${randomBytes(6).toString('hex')}/`, presignSeconds });

describeBlobStoreConformance({ name: 'S3', open: async () => freshStore() });

describe('S3 blob store: configuration', () => {
  it('opens the configured bucket with the AWS SDK credential chain', async () => {
    const env = s3.env('from-config');
    const config = loadConfig({ ...env, STORE_S3_PREFIX: '/from-config' });
    expect(config.s3).toMatchObject({ bucket: s3.bucket, prefix: 'from-config/', endpoint: s3.endpoint, forcePathStyle: true, presignSeconds: 0, partBytes: 5 * 1024 * 1024, queueSize: 2 });
    expect(loadConfig({ ...env, STORE_S3_PART_MIB: '16', STORE_S3_UPLOAD_QUEUE: '1' }).s3).toMatchObject({ partBytes: 16 * 1024 * 1024, queueSize: 1 });
    const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
    process.env.AWS_ACCESS_KEY_ID = env.AWS_ACCESS_KEY_ID;
    process.env.AWS_SECRET_ACCESS_KEY = env.AWS_SECRET_ACCESS_KEY;
    try {
      const blobs = await openBlobStore(config);
      expect(blobs).toBeInstanceOf(S3BlobStore);
      const staged = await blobs.stage([Buffer.from('configured')], 100);
      await staged.commit();
      expect(await blobs.size(staged.sha384)).toBe(10);
      // A bucket that does not exist stops start-up rather than the first upload.
      await expect(openBlobStore(loadConfig({ ...env, STORE_S3_BUCKET: 'no-such-bucket' }))).rejects.toThrow();
    } finally {
      if (saved.id === undefined) delete process.env.AWS_ACCESS_KEY_ID;
      else process.env.AWS_ACCESS_KEY_ID = saved.id;
      if (saved.secret === undefined) delete process.env.AWS_SECRET_ACCESS_KEY;
      else process.env.AWS_SECRET_ACCESS_KEY = saved.secret;
    }
  });

  it('refuses incomplete or malformed S3 settings, naming the variable', () => {
    expect(() => loadConfig({ STORE_BLOB_BACKEND: 's3' })).toThrow(/STORE_S3_BUCKET=\(not set\): required when STORE_BLOB_BACKEND=s3/);
    expect(() => loadConfig({ STORE_BLOB_BACKEND: 'nfs' })).toThrow(/STORE_BLOB_BACKEND="nfs": expected file or s3/);
    expect(() => loadConfig({ ...s3.env('x'), STORE_S3_ENDPOINT: 'ftp://host' })).toThrow(ConfigError);
    expect(() => loadConfig({ ...s3.env('x'), STORE_S3_FORCE_PATH_STYLE: 'yes' })).toThrow(/STORE_S3_FORCE_PATH_STYLE/);
    expect(() => loadConfig({ ...s3.env('x'), STORE_S3_PRESIGN_SECONDS: '604801' })).toThrow(/STORE_S3_PRESIGN_SECONDS/);
    expect(() => loadConfig({ ...s3.env('x'), STORE_S3_PREFIX: 'a b' })).toThrow(/STORE_S3_PREFIX/);
    expect(() => loadConfig({ ...s3.env('x'), STORE_S3_PART_MIB: '4' })).toThrow(/STORE_S3_PART_MIB="4": expected a whole number from 5 to 512 \(S3 parts are at least 5 MiB\)/);
    expect(() => loadConfig({ ...s3.env('x'), STORE_S3_UPLOAD_QUEUE: '0' })).toThrow(/STORE_S3_UPLOAD_QUEUE="0": expected a whole number from 1 to 16/);
    // The filesystem store stays the default, and ignores the S3 settings.
    expect(loadConfig({ STORE_S3_BUCKET: 'b' }).s3).toBeUndefined();
  });
});

describe('S3 blob store: presigned download redirects', () => {
  it('redirects GET downloads to a short-lived URL of the bucket that serves the content and ranges', async () => {
    const store = await createTestStore({ blobs: freshStore(60) });
    try {
      const kirk = await createUserAndLogin(store, await loginAdmin(store), 'kirk');
      const archive = charmZip({ name: 'presigned' });
      const uploaded = await upload(store, kirk, archive);
      const pushed = await store.execute(PushDocument, { input: { uploadId: uploaded.uploadId } }, { token: kirk });
      if (pushed.data?.push.__typename !== 'PushSuccess') throw new Error(`push failed: ${JSON.stringify(pushed)}`);
      const path = new URL(pushed.data.push.revision.downloadUrl, 'http://store.test').pathname;

      const redirect = await store.request(path, { token: kirk });
      expect(redirect.status).toBe(302);
      expect(redirect.headers.get('cache-control')).toBe('private, no-store');
      const location = redirect.headers.get('location')!;
      expect(location).toContain(`X-Amz-Expires=60`);
      const fetched = await fetch(location);
      expect(fetched.status).toBe(200);
      expect(fetched.headers.get('content-disposition')).toMatch(/^attachment; filename=/);
      expect(Buffer.from(await fetched.arrayBuffer()).equals(archive)).toBe(true);
      const ranged = await fetch(location, { headers: { range: 'bytes=0-9' } });
      expect(ranged.status).toBe(206);
      expect(Buffer.from(await ranged.arrayBuffer()).equals(archive.subarray(0, 10))).toBe(true);

      // Conditional requests are still answered by the store: 304, and If-Range (the bucket's ETag differs) streams.
      const etag = redirect.headers.get('etag')!;
      const unchanged = await store.request(path, { token: kirk, headers: { 'if-none-match': etag } });
      expect(unchanged.status).toBe(304);
      const ifRange = await store.request(path, { token: kirk, headers: { range: 'bytes=0-9', 'if-range': etag } });
      expect(ifRange.status).toBe(206);
      expect(Buffer.from(await ifRange.arrayBuffer()).equals(archive.subarray(0, 10))).toBe(true);
      // Without access, no redirect either.
      expect((await store.request(path)).status).not.toBe(302);
    } finally {
      await store.close();
    }
  });
});
