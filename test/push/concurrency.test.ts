import { print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PushDocument, PushResourceDocument } from '../generated/graphql.js';
import { createUserAndLogin, loginAdmin } from '../support/accounts.js';
import { testDatabaseKind } from '../support/database.js';
import { startServer, type ServerProcess } from '../support/process.js';
import { listFiles, pushArchive, pushOk, upload } from '../support/push.js';
import { createTestStore, type TestStore } from '../support/store.js';
import { charmZip } from '../support/zip.js';

let store: TestStore;
let kirk: string;

beforeAll(async () => {
  store = await createTestStore({ realClock: true });
  kirk = await createUserAndLogin(store, await loginAdmin(store), 'kirk');
});
afterAll(() => store.close());

async function revisionNumbers(name: string): Promise<number[]> {
  const rows = await store.database.db.prisma.revision.findMany({ where: { entity: { name } }, select: { number: true }, orderBy: { number: 'asc' } });
  return rows.map((row) => row.number);
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('concurrent pushes', () => {
  it('numbers 50 concurrent pushes to one (new) entity 0..49, with no gap or duplicate', async () => {
    const results = await Promise.all(range(50).map((i) => pushArchive(store, kirk, charmZip({ name: 'busy', revisionNote: `push ${i}` }))));
    const numbers = results.map((result) => (result.data?.push.__typename === 'PushSuccess' ? result.data.push.revision.number : JSON.stringify(result)));
    expect([...numbers].sort((a, b) => Number(a) - Number(b))).toEqual(range(50));
    expect(await revisionNumbers('busy')).toEqual(range(50));
    const entity = await store.database.db.prisma.entity.findFirstOrThrow({ where: { name: 'busy' } });
    expect(entity.nextRevision).toBe(50);
    expect(await store.database.db.prisma.entity.count({ where: { name: 'busy' } })).toBe(1);
  });

  it('numbers concurrent resource revisions 0..19', async () => {
    await pushOk(store, kirk, charmZip({ name: 'with-resource', resources: { data: { type: 'file' } } }));
    const results = await Promise.all(
      range(20).map((i) =>
        store.executeMultipart(
          PushResourceDocument,
          { input: { url: '~kirk/with-resource', name: 'data', file: null } },
          { 'input.file': new File([`content ${i}`], 'data') },
          { token: kirk },
        ),
      ),
    );
    const numbers = results.map((result) =>
      result.data?.pushResource.__typename === 'PushResourceSuccess' ? result.data.pushResource.resourceRevision.revision : -1,
    );
    expect(numbers.sort((a, b) => a - b)).toEqual(range(20));
  });

  it('lets only one of two concurrent pushes use an upload', async () => {
    const receipt = await upload(store, kirk, charmZip({ name: 'once', revisionNote: 'once' }));
    const results = await Promise.all(
      ['once-a', 'once-b'].map((url) => store.execute(PushDocument, { input: { uploadId: receipt.uploadId, url } }, { token: kirk })),
    );
    // The other is refused: ConflictError when both read the upload before either used it, ValidationError ("used
    // already") when it read it after the winner committed. (Sorting the names put a ValidationError after the success.)
    const kinds = results.map((result) => result.data?.push.__typename);
    expect(kinds.filter((kind) => kind === 'PushSuccess')).toHaveLength(1);
    expect(['ConflictError', 'ValidationError']).toContain(kinds.find((kind) => kind !== 'PushSuccess'));
    expect(await store.database.db.prisma.revision.count({ where: { sha384: receipt.sha384 } })).toBe(1);
  });
});

describe.runIf(testDatabaseKind() === 'postgres')('two server processes on one PostgreSQL', () => {
  let second: ServerProcess;
  beforeAll(async () => {
    second = await startServer({ DATABASE_URL: store.database.url!, STORE_BLOB_DIR: store.blobDir, STORE_DATA_DIR: store.blobDir });
  });
  afterAll(() => second?.stop());

  it('numbers 50 pushes split between two processes 0..49', async () => {
    const viaProcess = async (i: number) => {
      const form = new FormData();
      form.set('operations', JSON.stringify({ query: print(PushDocument), variables: { input: { archive: null } } }));
      form.set('map', JSON.stringify({ 0: ['variables.input.archive'] }));
      form.set('0', new File([new Uint8Array(charmZip({ name: 'two-procs', revisionNote: `process ${i}` }))], 'charm.zip'));
      const response = await fetch(`${second.url}/graphql`, { method: 'POST', headers: { authorization: `Bearer ${kirk}`, 'x-graphql-yoga-csrf': '1' }, body: form });
      return (await response.json()) as { data?: { push: { __typename: string } } };
    };
    const results = await Promise.all(
      range(50).map((i) => (i % 2 === 0 ? viaProcess(i) : pushArchive(store, kirk, charmZip({ name: 'two-procs', revisionNote: `in-process ${i}` })))),
    );
    expect(results.map((result) => result.data?.push.__typename)).toEqual(range(50).map(() => 'PushSuccess'));
    expect(await revisionNumbers('two-procs')).toEqual(range(50));
    // Every revision has its blob.
    const blobs = new Set((await listFiles(store.blobDir)).map((file) => file.split('/').pop()));
    const rows = await store.database.db.prisma.revision.findMany({ where: { entity: { name: 'two-procs' } }, select: { sha384: true } });
    expect(rows.every((row) => blobs.has(row.sha384))).toBe(true);
  });
});
