import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectGarbage } from '../../src/services/blobs/collect-garbage.js';
import { PushDocument, PushResourceDocument } from '../generated/graphql.js';
import { createUserAndLogin, loginAdmin } from '../support/accounts.js';
import { pushArchive, pushOk, upload } from '../support/push.js';
import { createTestStore, type TestStore } from '../support/store.js';
import { racingCollector } from '../support/racing-collector.js';
import { charmZip } from '../support/zip.js';
import { scaled } from '../support/timing.js';

let store: TestStore;
let kirk: string;

beforeAll(async () => {
  store = await createTestStore({ realClock: true, settings: { uploadTtlSeconds: 1 } });
  kirk = await createUserAndLogin(store, await loginAdmin(store), 'kirk');
});
afterAll(() => store.close());

const WORKERS = 4;
/**
 * 8 rounds: each worker pushes every variant (round % 3) at least twice, 32
 * pushes and 32 resource pushes around an expiry in all. 12 rounds proved no
 * more (the same variants, on the same blobs) and cost ~3 s more of CPU: the
 * collector runs back to back while anyone pushes, and each of its passes
 * reads every blob the rounds before left.
 */
const ROUNDS = 8;

/** What a client was told was stored: the path it downloads from, and the digest it must get. */
interface Acknowledged {
  path: string;
  sha384: string;
}

/** About an upload's lifetime (1 s), give or take: the push lands just before or just after the expiry. */
const aboutExpiryMs = () => 800 + Math.random() * 500;

/**
 * Uploads live 1 s and the collector runs back to back with no grace while
 * pushes are in flight (test/support/racing-collector.ts), while
 * each round makes a blob that becomes unreferenced (an upload nobody uses
 * in time) and then pushes the same bytes again: as a multipart file
 * (renamed onto the old blob's path), through that very upload around its
 * expiry (its blob may be gone: then the push must be refused), or through a
 * second upload of the same bytes; and the same for resources.
 */
describe('blob collector racing pushes of identical bytes', () => {
  it('never loses the archive or resource of an acknowledged push', async () => {
    const acknowledged: Acknowledged[] = [];
    const refusals: string[] = [];
    const collector = racingCollector(() => collectGarbage(store.database.db, store.blobs, { now: new Date(), graceMs: 0 }));
    const reports = collector.reports;

    const worker = async (w: number) => {
      const name = `race${w}`;
      await pushOk(store, kirk, charmZip({ name, resources: { data: { type: 'file' } }, revisionNote: 'start' }));
      for (let round = 0; round < ROUNDS; round += 1) {
        const archive = charmZip({ name, resources: { data: { type: 'file' } }, revisionNote: `round ${round}` });
        const resource = Buffer.from(`resource of ${name}, round ${round}`);
        const firstUpload = await upload(store, kirk, archive);
        const resourceUpload = await upload(store, kirk, resource);
        const variant = round % 3;
        await collector.sleep(aboutExpiryMs());
        let pushed;
        if (variant === 0) {
          pushed = await pushArchive(store, kirk, archive);
        } else {
          const uploadId = variant === 1 ? firstUpload.uploadId : (await upload(store, kirk, archive)).uploadId;
          pushed = await store.execute(PushDocument, { input: { uploadId } }, { token: kirk });
        }
        const push = pushed.data?.push;
        if (push?.__typename === 'PushSuccess') acknowledged.push({ path: push.revision.downloadUrl, sha384: push.revision.sha384 });
        else if (variant === 1 && push?.__typename === 'ValidationError' && push.field === 'uploadId') refusals.push(push.message);
        else throw new Error(`unexpected push answer: ${JSON.stringify(pushed)}`);

        const resourcePushed =
          variant === 1
            ? await store.execute(PushResourceDocument, { input: { url: `~kirk/${name}`, name: 'data', uploadId: resourceUpload.uploadId } }, { token: kirk })
            : await store.executeMultipart(
                PushResourceDocument,
                { input: { url: `~kirk/${name}`, name: 'data', file: null } },
                { 'input.file': new File([new Uint8Array(resource)], 'data.bin') },
                { token: kirk },
              );
        const pushedResource = resourcePushed.data?.pushResource;
        if (pushedResource?.__typename === 'PushResourceSuccess') {
          acknowledged.push({ path: pushedResource.resourceRevision.downloadUrl, sha384: pushedResource.resourceRevision.sha384 });
        } else if (variant === 1 && pushedResource?.__typename === 'ValidationError' && pushedResource.field === 'uploadId') {
          refusals.push(pushedResource.message);
        } else {
          throw new Error(`unexpected pushResource answer: ${JSON.stringify(resourcePushed)}`);
        }
      }
    };
    try {
      await Promise.all(Array.from({ length: WORKERS }, (_, w) => collector.worker(() => worker(w))));
    } finally {
      await collector.stop();
    }
    // One more full pass after the writes: nothing acknowledged may go now either.
    reports.push(await collectGarbage(store.database.db, store.blobs, { now: new Date(), graceMs: 0 }));

    // The race was real: the collector removed unreferenced copies of the very bytes being pushed.
    expect(reports.reduce((sum, report) => sum + report.removed, 0)).toBeGreaterThan(0);
    expect(acknowledged.length).toBeGreaterThanOrEqual(WORKERS * ROUNDS);
    for (const refusal of refusals) expect(refusal).toMatch(/upload the .* again with POST \/uploads/);
    for (const { path, sha384 } of acknowledged) {
      const response = await store.request(new URL(path, 'http://store.test').pathname, { token: kirk });
      expect(response.status, path).toBe(200);
      expect(createHash('sha384').update(Buffer.from(await response.arrayBuffer())).digest('hex'), path).toBe(sha384);
    }
  }, scaled(240_000));
});
