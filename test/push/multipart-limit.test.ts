import { randomBytes } from 'node:crypto';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createUserAndLogin, loginAdmin } from '../support/accounts.js';
import { pushArchive, storeState } from '../support/push.js';
import { createTestStore, DEFAULT_TEST_LIMITS } from '../support/store.js';
import { charmZip } from '../support/zip.js';
import { scaled } from '../support/timing.js';

const MIB = 1024 * 1024;
/** A store for the calling test, closed when it ends: the next test's store then reuses its database (test/support/database.ts). */
async function storeWithMultipartLimit(maxMultipartBytes: number, maxArchiveBytes: number) {
  const store = await createTestStore({
    limits: {
      maxMultipartBytes,
      archiveLimits: { ...DEFAULT_TEST_LIMITS.archiveLimits, maxArchiveBytes, maxEntries: 100, maxEntryBytes: maxArchiveBytes, maxUncompressedBytes: maxArchiveBytes },
    },
  });
  onTestFinished(() => store.close());
  return { store, kirk: await createUserAndLogin(store, await loginAdmin(store), 'kirk') };
}

/** A charm archive of about `bytes` bytes (an incompressible, stored payload). */
function charmOfSize(bytes: number): Buffer {
  return charmZip({ name: 'big', extra: [{ name: 'payload.bin', data: randomBytes(bytes), method: 'store' }] });
}

describe('multipart body limit (STORE_MAX_MULTIPART_BYTES)', () => {
  it('accepts a multipart push past Yoga’s 25 MB default when the limit allows it', async () => {
    const { store, kirk } = await storeWithMultipartLimit(64 * MIB, 40 * MIB);
    const archive = charmOfSize(26 * MIB);
    expect(archive.length).toBeGreaterThan(25_000_000);
    const result = await pushArchive(store, kirk, archive);
    expect(result.status).toBe(200);
    expect(result.data?.push).toMatchObject({ __typename: 'PushSuccess', revision: { size: archive.length } });
  }, scaled(120_000));

  it('answers 413 naming the limit and POST /uploads past it, and keeps nothing', async () => {
    const { store, kirk } = await storeWithMultipartLimit(MIB, 8 * MIB);
    const before = await storeState(store);
    // Past the whole-body limit (the file plus the envelope): the multipart stream is cut off while it is read.
    const result = await pushArchive(store, kirk, charmOfSize(3 * MIB));
    expect(result.status).toBe(413);
    expect(result.data).toBeUndefined();
    expect(result.errors).toEqual([
      {
        message:
          'The request is larger than the limit of 1048576 bytes for files in a multipart request (STORE_MAX_MULTIPART_BYTES); send bigger content with POST /uploads and push it by its uploadId',
        extensions: { code: 'REQUEST_ENTITY_TOO_LARGE' },
      },
    ]);
    expect(await storeState(store)).toEqual(before);
  });

  it('answers 413 from a Content-Length past the limit before reading the body, and 400 for a malformed Content-Length', async () => {
    const { store, kirk } = await storeWithMultipartLimit(MIB, 8 * MIB);
    const before = await storeState(store);
    const send = (contentLength: string) =>
      store.request('/graphql', {
        method: 'POST',
        token: kirk,
        headers: { 'content-type': 'application/json', 'content-length': contentLength },
        body: JSON.stringify({ query: '{ __typename }' }),
      });
    const declared = await send(String(3 * MIB));
    expect(declared.status).toBe(413);
    expect((await declared.json()).errors).toEqual([
      {
        message:
          'The request is larger than the limit of 1048576 bytes for files in a multipart request (STORE_MAX_MULTIPART_BYTES); send bigger content with POST /uploads and push it by its uploadId',
        extensions: { code: 'REQUEST_ENTITY_TOO_LARGE' },
      },
    ]);
    for (const malformed of ['10, 10', '-1', 'ten']) {
      const answer = await send(malformed);
      expect(answer.status).toBe(400);
      expect((await answer.json()).errors).toEqual([{ message: 'Content-Length header is invalid.', extensions: { code: 'BAD_REQUEST' } }]);
    }
    expect(await storeState(store)).toEqual(before);
  });
});
