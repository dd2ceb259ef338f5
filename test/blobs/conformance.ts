import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlobTooLargeError, type BlobStore } from '../../src/blobs/blob-store.js';
import { collectGarbage } from '../../src/services/blobs/collect-garbage.js';
import { PushDocument } from '../generated/graphql.js';
import { createUserAndLogin, loginAdmin } from '../support/accounts.js';
import { pushOk, upload } from '../support/push.js';
import { createTestStore, type TestStore } from '../support/store.js';
import { racingCollector } from '../support/racing-collector.js';
import { scaled } from '../support/timing.js';
import { charmZip } from '../support/zip.js';

/** A backend under test: `open` gives a fresh, empty store each time. */
export interface BlobBackend {
  name: string;
  open(): Promise<BlobStore>;
}

const MIB = 1024 * 1024;
const NO_LIMIT = 2 ** 31 - 1;
const FAR_FUTURE = new Date('2999-01-01T00:00:00Z');
/** How long an upload lives in the HTTP tests: 1 s on an idle machine, longer with TEST_TIME_SCALE. */
const UPLOAD_TTL_SECONDS = Math.ceil(scaled(1000) / 1000);

const sha384Of = (bytes: Uint8Array) => createHash('sha384').update(bytes).digest('hex');
const sha256Of = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** Distinct bytes per test (a counter in every chunk), so tests never share a blob. */
let seed = 0;
function content(size: number): Buffer {
  seed += 1;
  const bytes = Buffer.alloc(size);
  for (let i = 0; i < size; i += 1) bytes[i] = (i * 31 + seed * 7) & 0xff;
  bytes.writeUInt32BE(seed, 0);
  return bytes;
}

/** Yields `bytes` in chunks of `chunk`, asynchronously, the way a request body arrives. */
async function* chunked(bytes: Buffer, chunk = 256 * 1024): AsyncGenerator<Uint8Array> {
  for (let offset = 0; offset < bytes.length; offset += chunk) yield bytes.subarray(offset, offset + chunk);
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

async function listed(blobs: BlobStore): Promise<string[]> {
  const digests: string[] = [];
  for await (const blob of blobs.list()) digests.push(blob.sha384);
  return digests.sort();
}

/**
 * What every blob backend must do, from the BlobStore contract
 * (src/blobs/blob-store.ts) and the collector's safety argument
 * (src/services/blobs/collect-garbage.ts). A new backend runs this suite
 * from its own test file with a `BlobBackend` that opens an empty store.
 */
export function describeBlobStoreConformance(backend: BlobBackend): void {
  describe(`${backend.name} blob store: the BlobStore contract`, () => {
    it('streams content aside while hashing it, and commit puts it under its SHA-384', async () => {
      const blobs = await backend.open();
      // Larger than S3's 5 MiB multipart part, so the S3 backend uploads several parts.
      const bytes = content(12 * MIB + 12345);
      const staged = await blobs.stage(chunked(bytes), NO_LIMIT);
      expect({ sha384: staged.sha384, sha256: staged.sha256, size: staged.size }).toEqual({ sha384: sha384Of(bytes), sha256: sha256Of(bytes), size: bytes.length });
      // Staged content is readable (the archive checks read it) but not yet stored.
      expect(sha384Of(await readAll(staged.source().openRange(0, staged.size)))).toBe(staged.sha384);
      expect(await blobs.size(staged.sha384)).toBeNull();
      expect(await listed(blobs)).toEqual([]);

      await staged.commit();
      expect(await blobs.size(staged.sha384)).toBe(bytes.length);
      expect(await listed(blobs)).toEqual([staged.sha384]);
      const source = await blobs.source(staged.sha384);
      expect(source.size).toBe(bytes.length);
      expect(sha384Of(await readAll(source.openRange(0, source.size)))).toBe(staged.sha384);
      await staged.discard();
      expect(await blobs.size(staged.sha384)).toBe(bytes.length);
    });

    it('stores empty content', async () => {
      const blobs = await backend.open();
      const staged = await blobs.stage([], NO_LIMIT);
      expect(staged.size).toBe(0);
      await staged.commit();
      expect(await blobs.size(staged.sha384)).toBe(0);
      expect((await readAll((await blobs.source(staged.sha384)).openRange(0, 0))).length).toBe(0);
      await staged.discard();
    });

    it('serves any byte range of a stored blob', async () => {
      const blobs = await backend.open();
      const bytes = content(300_000);
      const staged = await blobs.stage([bytes], NO_LIMIT);
      await staged.commit();
      await staged.discard();
      const source = await blobs.source(staged.sha384);
      for (const [start, end] of [
        // Not [0, 1]: s3rver answers "bytes=0-0" with the whole object (its bug, not S3's).
        [0, 2],
        [1, 2],
        [5, 10],
        [100_000, 250_001],
        [bytes.length - 3, bytes.length],
        [0, bytes.length],
      ] as const) {
        expect((await readAll(source.openRange(start, end))).equals(bytes.subarray(start, end)), `${start}-${end}`).toBe(true);
      }
      expect((await readAll(source.openRange(7, 7))).length).toBe(0);
    });

    it('commits again after the blob was removed, until discarded (a retried transaction)', async () => {
      const blobs = await backend.open();
      const bytes = content(1000);
      const staged = await blobs.stage(chunked(bytes, 100), NO_LIMIT);
      await staged.commit();
      await staged.commit();
      await blobs.remove(staged.sha384);
      expect(await blobs.size(staged.sha384)).toBeNull();
      expect(await listed(blobs)).toEqual([]);
      await staged.commit();
      expect((await readAll((await blobs.source(staged.sha384)).openRange(0, bytes.length))).equals(bytes)).toBe(true);
      await staged.discard();
      await expect(staged.commit()).rejects.toThrow(/discarded/);
      // Removing what is not there is not an error (two collectors, or a retry).
      await blobs.remove(staged.sha384);
      await blobs.remove(staged.sha384);
      expect(await blobs.size(staged.sha384)).toBeNull();
    });

    it('refuses content past the limit and keeps nothing of it', async () => {
      const blobs = await backend.open();
      const bytes = content(6 * MIB);
      await expect(blobs.stage(chunked(bytes), 6 * MIB - 1)).rejects.toBeInstanceOf(BlobTooLargeError);
      expect(await listed(blobs)).toEqual([]);
      expect(await blobs.removeStaleStaging(FAR_FUTURE)).toBe(0);
    });

    it('drops abandoned staged content older than asked, and only that', async () => {
      const blobs = await backend.open();
      const kept = await blobs.stage([content(100)], NO_LIMIT);
      await kept.commit();
      await blobs.stage([content(100)], NO_LIMIT); // a request that died before commit or discard
      expect(await blobs.removeStaleStaging(new Date(Date.now() - 3600_000))).toBe(0);
      // The committed blob's own staged copy is a leftover too until discarded: both go.
      expect(await blobs.removeStaleStaging(FAR_FUTURE)).toBe(2);
      expect(await blobs.removeStaleStaging(FAR_FUTURE)).toBe(0);
      expect(await listed(blobs)).toEqual([kept.sha384]);
    });

    it('stores concurrent identical content once, whole', async () => {
      const blobs = await backend.open();
      const bytes = content(6 * MIB + 17);
      const writes = await Promise.all(
        Array.from({ length: 5 }, async () => {
          const staged = await blobs.stage(chunked(bytes, 64 * 1024 + 1), NO_LIMIT);
          await staged.commit();
          await staged.discard();
          return staged.sha384;
        }),
      );
      expect(new Set(writes)).toEqual(new Set([sha384Of(bytes)]));
      expect(await listed(blobs)).toEqual([sha384Of(bytes)]);
      expect(sha384Of(await readAll((await blobs.source(writes[0]!)).openRange(0, bytes.length)))).toBe(writes[0]);
      expect(await blobs.removeStaleStaging(FAR_FUTURE)).toBe(0);
    });

    it('lists every stored blob with its modification time', async () => {
      const blobs = await backend.open();
      const before = Date.now() - 5000;
      const digests: string[] = [];
      for (let i = 0; i < 7; i += 1) {
        const staged = await blobs.stage([content(10 + i)], NO_LIMIT);
        await staged.commit();
        await staged.discard();
        digests.push(staged.sha384);
      }
      const seen: Array<{ sha384: string; modifiedAt: Date }> = [];
      for await (const blob of blobs.list()) seen.push(blob);
      expect(seen.map((blob) => blob.sha384).sort()).toEqual(digests.sort());
      for (const blob of seen) expect(blob.modifiedAt.getTime()).toBeGreaterThan(before);
    });
  });

  describe.sequential(`${backend.name} blob store: through the store's HTTP API`, () => {
    let store: TestStore;
    let kirk: string;
    beforeAll(async () => {
      store = await createTestStore({ blobs: await backend.open(), realClock: true, settings: { uploadTtlSeconds: UPLOAD_TTL_SECONDS } });
      kirk = await createUserAndLogin(store, await loginAdmin(store), 'kirk');
    });
    afterAll(() => store?.close());

    it('uploads with POST /uploads, pushes the upload, and serves whole, ranged and conditional downloads', async () => {
      const archive = charmZip({ name: 'conformance', revisionNote: backend.name });
      const uploaded = await upload(store, kirk, archive);
      expect(uploaded).toMatchObject({ sha384: sha384Of(archive), size: archive.length });
      const pushed = await store.execute(PushDocument, { input: { uploadId: uploaded.uploadId } }, { token: kirk });
      if (pushed.data?.push.__typename !== 'PushSuccess') throw new Error(`push failed: ${JSON.stringify(pushed)}`);
      const path = new URL(pushed.data.push.revision.downloadUrl, 'http://store.test').pathname;

      const whole = await store.request(path, { token: kirk });
      expect(whole.status).toBe(200);
      expect(Buffer.from(await whole.arrayBuffer()).equals(archive)).toBe(true);
      const etag = whole.headers.get('etag')!;

      const ranged = await store.request(path, { token: kirk, headers: { range: 'bytes=10-19' } });
      expect(ranged.status).toBe(206);
      expect(ranged.headers.get('content-range')).toBe(`bytes 10-19/${archive.length}`);
      expect(Buffer.from(await ranged.arrayBuffer()).equals(archive.subarray(10, 20))).toBe(true);

      const unchanged = await store.request(path, { token: kirk, headers: { 'if-none-match': etag } });
      expect(unchanged.status).toBe(304);
      await unchanged.body?.cancel();
      const head = await store.request(path, { token: kirk, method: 'HEAD' });
      expect([head.status, head.headers.get('content-length')]).toEqual([200, String(archive.length)]);
    });

    it('refuses the push of an upload whose blob was collected while the push read it (upload again), storing nothing', async () => {
      // The race, made certain: an upload expires while its push reads it, and
      // the collector removes its blob before the read ends. The push reads
      // outside the blob's lock, so it must explain the missing blob itself.
      const archive = charmZip({ name: 'collected-meanwhile', revisionNote: backend.name });
      const uploaded = await upload(store, kirk, archive);
      await store.blobs.remove(uploaded.sha384);
      const pushed = await store.execute(PushDocument, { input: { uploadId: uploaded.uploadId } }, { token: kirk });
      expect(pushed.errors).toBeUndefined();
      expect(pushed.data?.push).toMatchObject({ __typename: 'ValidationError', field: 'uploadId', message: expect.stringMatching(/upload the archive again with POST \/uploads/) });
      expect(await store.database.db.prisma.entity.count({ where: { name: 'collected-meanwhile' } })).toBe(0);
    });

    it('never loses an acknowledged push to a collector racing pushes of the same bytes', async () => {
      const acknowledged: Array<{ path: string; sha384: string }> = [];
      let refused = 0;
      const collector = racingCollector(() => collectGarbage(store.database.db, store.blobs, { now: new Date(), graceMs: 0 }));
      const reports = collector.reports;
      const worker = async (w: number) => {
        await pushOk(store, kirk, charmZip({ name: `race-${"abc"[w]!}`, revisionNote: 'start' }));
        for (let round = 0; round < 4; round += 1) {
          const archive = charmZip({ name: `race-${"abc"[w]!}`, revisionNote: `round ${round}` });
          // An upload that expires unused (1 s): its blob is garbage, then the same bytes are pushed again.
          // The pause lands the push just before or just after the expiry (a 2 s lifetime proved no
          // more: the collector's idle passes while everyone sleeps cost CPU for nothing).
          const abandoned = await upload(store, kirk, archive);
          await collector.sleep(UPLOAD_TTL_SECONDS * 1000 * (0.8 + Math.random() * 0.5));
          const uploadId = round % 2 === 0 ? abandoned.uploadId : (await upload(store, kirk, archive)).uploadId;
          const pushed = await store.execute(PushDocument, { input: { uploadId } }, { token: kirk });
          const push = pushed.data?.push;
          if (push?.__typename === 'PushSuccess') acknowledged.push({ path: push.revision.downloadUrl, sha384: push.revision.sha384 });
          else if (push?.__typename === 'ValidationError' && push.field === 'uploadId') refused += 1;
          else throw new Error(`unexpected push answer: ${JSON.stringify(pushed)}`);
        }
      };
      try {
        await Promise.all([0, 1, 2].map((w) => collector.worker(() => worker(w))));
      } finally {
        await collector.stop();
      }
      reports.push(await collectGarbage(store.database.db, store.blobs, { now: new Date(), graceMs: 0 }));
      expect(reports.reduce((sum, report) => sum + report.removed, 0)).toBeGreaterThan(0);
      expect(acknowledged.length + refused).toBe(12);
      // An upload past its expiry is refused (ValidationError, nothing stored); a fresh one normally is not.
      expect(acknowledged.length).toBeGreaterThanOrEqual(3);
      for (const { path, sha384 } of acknowledged) {
        const response = await store.request(new URL(path, 'http://store.test').pathname, { token: kirk });
        expect(response.status, path).toBe(200);
        expect(sha384Of(Buffer.from(await response.arrayBuffer())), path).toBe(sha384);
      }
    }, 240_000);
  });
}
