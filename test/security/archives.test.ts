import { deflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUserAndLogin, loginAdmin } from '../support/accounts.js';
import { expectStoreUnchanged, pushArchive, pushOk } from '../support/push.js';
import { createTestStore, type TestStore } from '../support/store.js';
import { buildZip, charmZip, type ZipEntry } from '../support/zip.js';

// Archive checks from the security review (issue 9, items 1 and 2): each
// archive here was accepted and stored before.
let store: TestStore;
let alice: string;

beforeAll(async () => {
  store = await createTestStore();
  alice = await createUserAndLogin(store, await loginAdmin(store), 'alice');
});
afterAll(() => store.close());

const METADATA: ZipEntry = { name: 'metadata.yaml', data: JSON.stringify({ name: 'foo', summary: 'Foo', description: 'Deploys foo.' }) };

/** Pushes, expects a refusal naming the archive, and that nothing was stored. */
async function expectRefused(zip: Buffer, message: string | RegExp, url?: string) {
  await expectStoreUnchanged(store, async () => {
    const result = await pushArchive(store, alice, zip, url);
    expect(result.errors).toBeUndefined();
    expect(result.data?.push).toMatchObject({ __typename: 'ValidationError' });
    const push = result.data?.push as { message: string; field: string | null };
    expect(push.message).toMatch(message);
  });
}

describe('entries past the count the end record declares', () => {
  const hidden = 'its central directory holds more entries than the 1 its end record declares';

  it('are refused: a path leaving the archive', async () => {
    const entries = [METADATA, { name: '../../evil', data: 'owned' }];
    // Declared honestly, the same entry is refused for what it is: the count is what hid it.
    await expectRefused(buildZip(entries), /"\.\.\/\.\.\/evil" contains "\.\."/);
    await expectRefused(buildZip(entries, { declaredEntries: 1 }), hidden);
  });

  it('are refused: a link to /etc/shadow', async () => {
    await expectRefused(buildZip([METADATA, { name: 'hooks/install', data: '/etc/shadow', mode: 0o120777, method: 'store' }], { declaredEntries: 1 }), hidden);
  });

  it('are refused: a zero bomb', async () => {
    const zeros = Buffer.alloc(32 * 1024 * 1024);
    const bomb: ZipEntry = { name: 'bomb', data: zeros };
    await expectRefused(buildZip([METADATA, bomb], { declaredEntries: 1 }), hidden);
    expect(deflateRawSync(zeros).length).toBeLessThan(store.limits.archiveLimits.maxArchiveBytes);
  });

  it('are refused: 2995 extra entries', async () => {
    const extras = Array.from({ length: 2995 }, (_, index): ZipEntry => ({ name: `extra/${index}`, data: 'x', method: 'store' }));
    await expectRefused(buildZip([METADATA, ...extras], { declaredEntries: 1 }), hidden);
  });

  it('while an honest archive of the same entries is accepted', async () => {
    const pushed = await pushOk(store, alice, buildZip([METADATA, { name: 'hooks/install', data: 'echo hi', mode: 0o100755 }]));
    expect(pushed.revision.number).toBe(0);
  });
});

describe('entry contents and names', () => {
  it('refuses content that does not match its CRC-32, deflated or stored', async () => {
    for (const method of ['deflate', 'store'] as const) {
      await expectRefused(buildZip([METADATA, { name: 'README.md', data: 'hello', method, crc: 0xdeadbeef }]), 'entry "README.md" is corrupt: its content does not match its CRC-32');
    }
  });

  it('refuses two names for one path', async () => {
    await expectRefused(buildZip([METADATA, { name: 'a', data: '1' }, { name: './a', data: '2' }]), 'entries "a" and "./a" are the same path');
    await expectRefused(buildZip([METADATA, { name: 'hooks/' }, { name: 'hooks', data: 'x' }]), 'entries "hooks/" and "hooks" are the same path');
    await expectRefused(buildZip([METADATA, { name: './metadata.yaml', data: 'name: bar' }]), 'entries "metadata.yaml" and "./metadata.yaml" are the same path');
  });

  it('refuses a name that is not UTF-8', async () => {
    await expectRefused(buildZip([METADATA, { name: 'ignored', rawName: Buffer.from([0x66, 0xff, 0x6f]), data: 'x' }]), 'an entry name is not valid UTF-8 (bytes 66ff6f)');
  });

  it('reads ./metadata.yaml as metadata.yaml', async () => {
    const entries = [{ ...METADATA, name: './metadata.yaml', data: JSON.stringify({ name: 'dotted', summary: 'S', description: 'D' }) }];
    const pushed = await pushOk(store, alice, buildZip(entries));
    expect(pushed.revision.entity.url).toBe('cs:~alice/dotted');
  });
});

describe('names with a meaning in urls', () => {
  it('refuses a charm named bundle, by url or by metadata', async () => {
    const reserved = '"bundle" is a reserved name: in urls "~owner/bundle/..." marks a bundle; choose another name';
    const byUrl = await pushArchive(store, alice, charmZip({ name: 'foo' }), 'cs:~alice/bundle');
    expect(byUrl.data?.push).toMatchObject({ __typename: 'ValidationError', field: 'url' });
    expect((byUrl.data?.push as { message: string }).message).toContain(reserved);
    await expectRefused(charmZip({ name: 'bundle' }), `the name in metadata.yaml is refused: ${reserved}`);
  });
});
