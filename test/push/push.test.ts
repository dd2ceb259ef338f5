import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AddGroupMemberDocument, CreateGroupDocument, PushDocument } from '../generated/graphql.js';
import { createUserAndLogin, loginAdmin } from '../support/accounts.js';
import { pushArchive, pushOk, expectOnlyAudited, expectStoreUnchanged, storeState, upload } from '../support/push.js';
import { createTestStore, type TestStore } from '../support/store.js';
import { buildZip, bundleZip, charmZip } from '../support/zip.js';

let store: TestStore;
let admin: string;
let kirk: string;
let spock: string;

beforeAll(async () => {
  store = await createTestStore();
  admin = await loginAdmin(store);
  kirk = await createUserAndLogin(store, admin, 'kirk');
  spock = await createUserAndLogin(store, admin, 'spock');
  // The seed's whoami: User kirk, Group membership charm-examples.
  expect((await store.execute(CreateGroupDocument, { input: { name: 'charm-examples' } }, { token: admin })).data?.createGroup.__typename).toBe(
    'CreateGroupSuccess',
  );
  await store.execute(AddGroupMemberDocument, { input: { group: 'charm-examples', username: 'kirk' } }, { token: admin });
});
afterAll(() => store.close());

/** Runs `refused` and checks that it changed nothing: rows, counters, blob files. */
const expectNothingChanged = (refused: () => Promise<unknown>) => expectStoreUnchanged(store, refused);

describe('the target id (the seed\'s permutations, as kirk in charm-examples)', () => {
  it.each([
    ['charm push .', undefined, () => charmZip({ name: 'perm-default' }), 'cs:~kirk/perm-default-0'],
    ['charm push . charm-name', 'perm-named', () => charmZip({ name: 'perm-default' }), 'cs:~kirk/perm-named-0'],
    ['charm push . bundle/bundle-name', 'bundle/perm-bundle', () => bundleZip({}), 'cs:~kirk/bundle/perm-bundle-0'],
    ['charm push . ~charm-examples/charm-name', '~charm-examples/perm-group', () => charmZip({ name: 'x' }), 'cs:~charm-examples/perm-group-0'],
    ['charm push . cs:~charm-examples/charm-name', 'cs:~charm-examples/perm-cs-group', () => charmZip({ name: 'x' }), 'cs:~charm-examples/perm-cs-group-0'],
  ])('%s', async (_case, url, archive, expected) => {
    const success = await pushOk(store, kirk, archive(), url);
    expect(success.revision.url).toBe(expected);
    expect(success.duplicate).toBe(false);
    expect(success.revision.entity.private).toBe(true);
  });

  it('names a bundle pushed without a url after bundle.yaml\'s name, else after the file stem', async () => {
    expect((await pushOk(store, kirk, bundleZip({ name: 'named-in-yaml' }))).revision.url).toBe('cs:~kirk/bundle/named-in-yaml-0');
    expect((await pushOk(store, kirk, bundleZip({ description: 'stem' }), undefined, 'wiki-stack.zip')).revision.url).toBe(
      'cs:~kirk/bundle/wiki-stack-0',
    );
  });

  it('accepts the older "services" key in bundle.yaml and stores the applications', async () => {
    const success = await pushOk(store, kirk, bundleZip({ legacyServices: true, applications: { web: 'cs:~kirk/apache2' } }), 'bundle/legacy');
    const row = await store.database.db.prisma.revision.findFirstOrThrow({ where: { entity: { name: 'legacy' } } });
    expect(row.metadata).toEqual({ kind: 'bundle', name: null, applications: [{ name: 'web', charm: 'cs:~kirk/apache2', channel: null, revision: null, numUnits: 1 }] });
    expect(row.bases).toEqual([]);
    expect(success.revision.entity.kind).toBe('BUNDLE');
  });

  it('gives the new entity owner-only ACLs and the latest track', async () => {
    const prisma = store.database.db.prisma;
    const entity = await prisma.entity.findFirstOrThrow({ where: { name: 'perm-group' }, include: { acl: true, tracks: true } });
    expect(entity.private).toBe(true);
    expect(new Set(entity.acl.map((entry) => entry.principal))).toEqual(new Set(['charm-examples']));
    expect(entity.acl).toHaveLength(10);
    expect(entity.tracks.map((track) => track.name)).toEqual(['latest']);
    expect(entity.nextRevision).toBe(1);
  });

  it('stores the digests, size, creator and metadata of the revision', async () => {
    const zip = charmZip({ name: 'meta', series: ['jammy', 'focal'], resources: { db: { type: 'oci-image', description: 'The database image' } } });
    const success = await pushOk(store, kirk, zip);
    const { createHash } = await import('node:crypto');
    expect(success.revision).toMatchObject({
      sha384: createHash('sha384').update(zip).digest('hex'),
      sha256: createHash('sha256').update(zip).digest('hex'),
      size: zip.length,
      createdBy: 'kirk',
      summary: 'The meta charm',
      description: 'Deploys meta.',
      series: ['jammy', 'focal'],
    });
    const row = await store.database.db.prisma.revision.findFirstOrThrow({ where: { entity: { name: 'meta' } } });
    expect(row.metadata).toEqual({
      kind: 'charm',
      name: 'meta',
      resources: { db: { type: 'oci-image', description: 'The database image' } },
      bases: [{ name: 'ubuntu', channel: '22.04', architectures: ['amd64'] }],
      links: { documentation: [], issues: [], source: [], website: [], contact: [] },
      maintainers: [],
      assumes: [],
      containers: [],
      subordinate: false,
      provides: [],
      requires: [],
      peers: [],
    });
    // The bases have a column of their own, which reads use.
    expect(row.bases).toEqual([{ name: 'ubuntu', channel: '22.04', architectures: ['amd64'] }]);
  });

  it('pushes to a charm url with a series the charm supports', async () => {
    expect((await pushOk(store, kirk, charmZip({ name: 'serial', series: ['jammy'] }), 'jammy/serial')).revision.url).toBe('cs:~kirk/serial-0');
  });

  it('accepts an archive whose entries are read both ways: small ones inflated in one call, one past 256 KiB through a stream', async () => {
    const large = { name: 'large.txt', data: Buffer.alloc(300 * 1024, 'charm '), method: 'deflate' as const };
    const stored = { name: 'stored.bin', data: Buffer.alloc(2048, 7), method: 'store' as const };
    expect((await pushOk(store, kirk, charmZip({ name: 'both-ways', extra: [large, stored] }))).revision.url).toBe('cs:~kirk/both-ways-0');
  });
});

describe('revision numbers', () => {
  it('counts A, B, A as 0, 1, 2 and returns an identical push as the latest revision, creating nothing', async () => {
    const a = charmZip({ name: 'aba', revisionNote: 'A' });
    const b = charmZip({ name: 'aba', revisionNote: 'B' });
    expect((await pushOk(store, kirk, a)).revision.number).toBe(0);
    expect((await pushOk(store, kirk, b)).revision.number).toBe(1);
    let duplicate;
    await expectOnlyAudited(store, 'push-duplicate', async () => {
      duplicate = await pushOk(store, kirk, b);
    });
    expect(duplicate).toMatchObject({ duplicate: true, revision: { number: 1, url: 'cs:~kirk/aba-1' } });
    expect((await pushOk(store, kirk, a)).revision).toMatchObject({ number: 2, url: 'cs:~kirk/aba-2' });
  });

  it('shares one blob between identical contents of different entities', async () => {
    const before = (await storeState(store)).blobs.length;
    const zip = charmZip({ name: 'shared', revisionNote: 'same' });
    await pushOk(store, kirk, zip, 'shared-one');
    await pushOk(store, kirk, zip, 'shared-two');
    expect((await storeState(store)).blobs.length).toBe(before + 1);
  });
});

describe('who may push where', () => {
  it('needs a signed-in user', async () => {
    await expectNothingChanged(async () => {
      const result = await store.executeMultipart(PushDocument, { input: { archive: null } }, { 'input.archive': new File([new Uint8Array(charmZip({ name: 'anon' }))], 'a.zip') });
      expect(result.data?.push).toEqual({ __typename: 'AuthenticationError', message: 'Sign in first: this operation needs a bearer token from the login mutation' });
    });
  });

  it('refuses another user\'s namespace and a group one is not in', async () => {
    for (const url of ['~spock/foo', '~charm-examples/foo', '~nobody/foo']) {
      const token = url === '~charm-examples/foo' ? spock : kirk;
      const owner = url.slice(1, url.indexOf('/'));
      const me = token === spock ? 'spock' : 'kirk';
      await expectNothingChanged(async () => {
        const result = await pushArchive(store, token, charmZip({ name: 'foo' }), url);
        expect(result.data?.push).toEqual({
          __typename: 'PermissionDeniedError',
          message: `You may not push to ~${owner}: push to your own namespace (~${me}) or to a group you belong to`,
        });
      });
    }
  });

  it('answers for an existing entity the pusher cannot see exactly as for a missing one, PermissionDeniedError for one they can see', async () => {
    await pushOk(store, kirk, charmZip({ name: 'kirk-private' }));
    const refusal = {
      __typename: 'PermissionDeniedError',
      message: 'You may not push to ~kirk: push to your own namespace (~spock) or to a group you belong to',
    };
    await expectNothingChanged(async () => {
      const result = await pushArchive(store, spock, charmZip({ name: 'x' }), '~kirk/kirk-private');
      expect(result.data?.push).toEqual(refusal);
      const missing = await pushArchive(store, spock, charmZip({ name: 'x' }), '~kirk/never-pushed');
      expect(missing.data?.push).toEqual(refusal);
    });
    await pushOk(store, kirk, charmZip({ name: 'kirk-public' }));
    await store.database.db.prisma.entity.updateMany({ where: { name: 'kirk-public' }, data: { private: false } });
    await expectNothingChanged(async () => {
      const result = await pushArchive(store, spock, charmZip({ name: 'x' }), '~kirk/kirk-public');
      expect(result.data?.push).toEqual({
        __typename: 'PermissionDeniedError',
        message: 'You may not push to cs:~kirk/kirk-public: that needs write access to its unpublished channel; ask its owner to grant it',
      });
    });
  });

  it('lets a principal with write on unpublished push to an existing entity', async () => {
    const pushed = await pushOk(store, kirk, charmZip({ name: 'shared-write' }));
    const entity = await store.database.db.prisma.entity.findFirstOrThrow({ where: { name: 'shared-write' } });
    await store.database.db.prisma.aclEntry.create({ data: { entityId: entity.id, channel: 'unpublished', kind: 'WRITE', principal: 'spock' } });
    const bySpock = await pushOk(store, spock, charmZip({ name: 'shared-write', revisionNote: 'spock' }), '~kirk/shared-write');
    expect(bySpock.revision).toMatchObject({ number: pushed.revision.number + 1, createdBy: 'spock', url: 'cs:~kirk/shared-write-1' });
  });

  it('lets an admin push into any namespace', async () => {
    expect((await pushOk(store, admin, charmZip({ name: 'by-admin' }), '~charm-examples/by-admin')).revision.url).toBe('cs:~charm-examples/by-admin-0');
  });

  it('applies a group membership change to the very next push', async () => {
    await store.execute(AddGroupMemberDocument, { input: { group: 'charm-examples', username: 'spock' } }, { token: admin });
    expect((await pushOk(store, spock, charmZip({ name: 'spock-in-group' }), '~charm-examples/spock-in-group')).revision.createdBy).toBe('spock');
  });
});

describe('refused pushes leave nothing behind', () => {
  const refusals: Array<[string, () => Buffer, string | undefined, string, string]> = [
    ['a url with a revision', () => charmZip({ name: 'foo' }), 'foo-3', 'url', '"foo-3" has a revision; a push always makes a new revision, so give the url without "-3"'],
    ['a malformed url', () => charmZip({ name: 'foo' }), 'Foo_Bar', 'url', '"Foo_Bar" is not a valid charm or bundle url: "Foo_Bar" is not a valid name: use lowercase letters, digits and dashes, starting with a letter, with a letter in every dash-separated part (at most 64 characters); use [cs:][~owner/][series/]name[-revision], e.g. "cs:~kirk/foo", "~kirk/bundle/wiki-3" or "foo"'],
    ['a charm pushed to a bundle url', () => charmZip({ name: 'foo' }), 'bundle/foo', 'url', '"bundle/foo" names a bundle but the archive is a charm (it has metadata.yaml); push it to a charm url such as "foo"'],
    ['a bundle pushed to a charm url', () => bundleZip({}), 'foo', 'url', '"foo" names a charm but the archive is a bundle (it has bundle.yaml); push it to a bundle url such as "bundle/foo"'],
    ['a series the charm does not support', () => charmZip({ name: 'foo', series: ['jammy'] }), 'trusty/foo', 'url', '"trusty/foo" names series "trusty" but the charm does not support it (it declares jammy); leave the series out of the url'],
    ['not a zip', () => Buffer.from('this is not a zip file at all'), undefined, 'archive', 'The archive was refused: it is not a zip file (End of central directory record signature not found. Either not a zip file, or file is truncated.)'],
    ['an empty zip', () => buildZip([]), undefined, 'archive', 'The archive was refused: it has neither metadata.yaml (a charm) nor bundle.yaml (a bundle) at its root'],
    ['both metadata.yaml and bundle.yaml', () => buildZip([{ name: 'metadata.yaml', data: 'name: a' }, { name: 'bundle.yaml', data: 'applications: {}' }]), undefined, 'archive', 'The archive was refused: it has both metadata.yaml (a charm) and bundle.yaml (a bundle) at its root; keep the one that says what it is'],
    ['metadata.yaml that is not YAML', () => buildZip([{ name: 'metadata.yaml', data: 'name: [unclosed' }]), undefined, 'archive', 'The archive was refused: metadata.yaml is not valid YAML (Flow sequence in block collection must be sufficiently indented and end with a ])'],
    ['a bad charm name', () => charmZip({ name: 'Bad_Name' }), undefined, 'archive', 'The archive was refused: the name in metadata.yaml is refused: "Bad_Name" is not a valid name: use lowercase letters, digits and dashes, starting with a letter, with a letter in every dash-separated part (at most 64 characters)'],
    ['a charm without a summary', () => buildZip([{ name: 'metadata.yaml', data: 'name: foo\ndescription: d\n' }]), undefined, 'archive', 'The archive was refused: metadata.yaml needs a non-empty "summary"'],
    ['a charm without a description', () => buildZip([{ name: 'metadata.yaml', data: 'name: foo\nsummary: s\n' }]), undefined, 'archive', 'The archive was refused: metadata.yaml needs a non-empty "description"'],
    ['a resource of an unknown type', () => charmZip({ name: 'foo', resources: { data: { type: 'tarball' } } }), undefined, 'archive', 'The archive was refused: resource "data" in metadata.yaml has type "tarball"; use "file" or "oci-image"'],
    ['bad series', () => buildZip([{ name: 'metadata.yaml', data: 'name: foo\nsummary: s\ndescription: d\nseries: [Trusty]\n' }]), undefined, 'archive', 'The archive was refused: "series" in metadata.yaml must be a list of series names such as "jammy" (lowercase letters and digits)'],
    ['a bundle without applications', () => buildZip([{ name: 'bundle.yaml', data: 'name: wiki\n' }]), undefined, 'archive', 'The archive was refused: bundle.yaml needs "applications" (or the older "services"): a mapping of application names to {charm: <url>}'],
    ['a bundle application without a charm', () => buildZip([{ name: 'bundle.yaml', data: 'applications:\n  wiki:\n    num_units: 1\n' }]), 'bundle/wiki', 'archive', 'The archive was refused: application "wiki" in bundle.yaml needs a "charm" url'],
    ['a bundle with a bad charm url', () => bundleZip({ applications: { wiki: 'cs:~kirk/Not_Valid' } }), 'bundle/wiki', 'archive', 'The archive was refused: application "wiki" in bundle.yaml: "cs:~kirk/Not_Valid" is not a valid charm or bundle url: "Not_Valid" is not a valid name: use lowercase letters, digits and dashes, starting with a letter, with a letter in every dash-separated part (at most 64 characters); use [cs:][~owner/][series/]name[-revision], e.g. "cs:~kirk/foo", "~kirk/bundle/wiki-3" or "foo"'],
    ['an absolute path', () => charmZip({ name: 'foo', extra: [{ name: '/etc/passwd', data: 'x' }] }), undefined, 'archive', 'The archive was refused: entry "/etc/passwd" has an absolute path; paths must be relative to the archive root'],
    ['a ".." path', () => charmZip({ name: 'foo', extra: [{ name: 'hooks/../../escape', data: 'x' }] }), undefined, 'archive', 'The archive was refused: entry "hooks/../../escape" contains "..", which would point outside the archive'],
    ['a link pointing outside', () => charmZip({ name: 'foo', extra: [{ name: 'hooks/start', data: '../../etc/shadow', mode: 0o120777 }] }), undefined, 'archive', 'The archive was refused: entry "hooks/start" is a link to "../../etc/shadow", outside the archive; links must be relative and stay inside it'],
    ['an absolute link', () => charmZip({ name: 'foo', extra: [{ name: 'hooks/stop', data: '/bin/sh', mode: 0o120777 }] }), undefined, 'archive', 'The archive was refused: entry "hooks/stop" is a link to "/bin/sh", outside the archive; links must be relative and stay inside it'],
    // Small entries are inflated in one call; one that disagrees with its header is read again through the stream, whose refusal stands.
    ['a small entry inflating to less than its header says', () => charmZip({ name: 'foo', extra: [{ name: 'short', data: 'hello', declaredSize: 100 }] }), undefined, 'archive', 'The archive was refused: entry "short" is corrupt (not enough bytes in the stream. expected 100. got only 5)'],
    ['an entry inflating to more than its header says', () => charmZip({ name: 'foo', extra: [{ name: 'bomb', data: Buffer.alloc(1024 * 1024 + 1), declaredSize: 10 }] }), undefined, 'archive', 'The archive was refused: entry "bomb" is corrupt (too many bytes in the stream. expected 10. got at least 16384)'],
    ['entries inflating past the total limit', () => charmZip({ name: 'foo', extra: [0, 1, 2].map((i) => ({ name: `part-${i}`, data: Buffer.alloc(1000 * 1000) })) }), undefined, 'archive', 'The archive was refused: its entries inflate to more than 2097152 bytes in total, the limit'],
    ['an entry declared too large', () => charmZip({ name: 'foo', extra: [{ name: 'big', data: 'x', declaredSize: 5 * 1024 * 1024 }] }), undefined, 'archive', 'The archive was refused: entry "big" inflates to more than 1048576 bytes, the limit for one entry'],
    ['too many entries', () => buildZip(Array.from({ length: 101 }, (_, i) => ({ name: `f${i}`, data: 'x' }))), undefined, 'archive', 'The archive was refused: it has 101 entries; the limit is 100'],
  ];

  it.each(refusals)('refuses %s', async (_case, archive, url, field, message) => {
    await expectNothingChanged(async () => {
      const result = await pushArchive(store, kirk, archive(), url);
      expect(result.data?.push).toEqual({ __typename: 'ValidationError', field, message });
    });
  });

  it('refuses a bundle whose only name is a file name that is not a valid name', async () => {
    await expectNothingChanged(async () => {
      const result = await pushArchive(store, kirk, bundleZip({}), undefined, 'My Bundle.zip');
      expect(result.data?.push).toEqual({
        __typename: 'ValidationError',
        field: 'url',
        message:
          'The bundle\'s file name "My Bundle.zip" is not a usable name ("My Bundle" is not a valid name: use lowercase letters, digits and dashes, starting with a letter, with a letter in every dash-separated part (at most 64 characters)); give a url such as "bundle/wiki"',
      });
    });
  });

  it('refuses a charm name already used by a bundle of the same owner, and the reverse', async () => {
    await pushOk(store, kirk, bundleZip({}), 'bundle/taken-by-bundle');
    await pushOk(store, kirk, charmZip({ name: 'taken-by-charm' }));
    await expectNothingChanged(async () => {
      const result = await pushArchive(store, kirk, charmZip({ name: 'taken-by-bundle' }));
      expect(result.data?.push).toEqual({
        __typename: 'ValidationError',
        field: 'url',
        message: '~kirk already has a bundle named "taken-by-bundle" (cs:~kirk/bundle/taken-by-bundle); a charm cannot use the same name, choose another',
      });
    });
    await expectNothingChanged(async () => {
      const result = await pushArchive(store, kirk, bundleZip({}), 'bundle/taken-by-charm');
      expect(result.data?.push).toEqual({
        __typename: 'ValidationError',
        field: 'url',
        message: '~kirk already has a charm named "taken-by-charm" (cs:~kirk/taken-by-charm); a bundle cannot use the same name, choose another',
      });
    });
  });

  it('refuses an archive larger than the archive limit', async () => {
    const big = charmZip({ name: 'foo', extra: [{ name: 'noise', data: Buffer.from(new Uint8Array(4 * 1024 * 1024).map((_, i) => (i * 7919) % 251).buffer), method: 'store' }] });
    await expectNothingChanged(async () => {
      const result = await pushArchive(store, kirk, big);
      expect(result.data?.push).toEqual({ __typename: 'ValidationError', field: 'archive', message: `The archive is ${big.length} bytes; the limit is 4194304 bytes` });
    });
  });

  it('answers 413 for a multipart file past the multipart limit, before any resolver runs', async () => {
    await expectNothingChanged(async () => {
      const result = await pushArchive(store, kirk, Buffer.alloc(6 * 1024 * 1024 + 1));
      expect(result.status).toBe(413);
      expect(result.errors?.[0]).toEqual({
        message:
          'The request is larger than the limit of 6291456 bytes for files in a multipart request (STORE_MAX_MULTIPART_BYTES); send bigger content with POST /uploads and push it by its uploadId',
        extensions: { code: 'REQUEST_ENTITY_TOO_LARGE' },
      });
    });
  });

  it('refuses both or neither of archive and uploadId', async () => {
    await expectNothingChanged(async () => {
      const neither = await store.execute(PushDocument, { input: { url: 'foo' } }, { token: kirk });
      expect(neither.data?.push).toEqual({
        __typename: 'ValidationError',
        field: 'archive',
        message: 'Give exactly one of "archive" (a file in a multipart request) or "uploadId" (from POST /uploads) with the archive',
      });
    });
  });
});

describe('pushing an upload', () => {
  it('pushes an archive streamed to POST /uploads, once', async () => {
    const zip = charmZip({ name: 'uploaded' });
    const receipt = await upload(store, kirk, zip);
    const first = await store.execute(PushDocument, { input: { uploadId: receipt.uploadId } }, { token: kirk });
    expect(first.data?.push).toMatchObject({ __typename: 'PushSuccess', duplicate: false, revision: { url: 'cs:~kirk/uploaded-0', sha384: receipt.sha384, size: zip.length } });
    await expectNothingChanged(async () => {
      const again = await store.execute(PushDocument, { input: { uploadId: receipt.uploadId, url: 'uploaded-again' } }, { token: kirk });
      expect(again.data?.push).toEqual({
        __typename: 'ValidationError',
        field: 'uploadId',
        message: `Upload "${receipt.uploadId}" is unknown, already used, expired, or not yours; upload the archive again with POST /uploads`,
      });
    });
  });

  it('refuses another user\'s upload and an expired one', async () => {
    const receipt = await upload(store, kirk, charmZip({ name: 'mine' }));
    await expectNothingChanged(async () => {
      const bySpock = await store.execute(PushDocument, { input: { uploadId: receipt.uploadId } }, { token: spock });
      expect(bySpock.data?.push).toMatchObject({ __typename: 'ValidationError', field: 'uploadId' });
    });
    store.clock.advance(25 * 3600 * 1000);
    try {
      const token = await loginAgain();
      await expectNothingChanged(async () => {
        const expired = await store.execute(PushDocument, { input: { uploadId: receipt.uploadId } }, { token });
        expect(expired.data?.push).toMatchObject({ __typename: 'ValidationError', field: 'uploadId' });
      });
    } finally {
      store.clock.advance(-25 * 3600 * 1000);
    }
  });

  it('keeps a refused upload usable: nothing is consumed', async () => {
    const receipt = await upload(store, kirk, bundleZip({}));
    await expectNothingChanged(async () => {
      const refused = await store.execute(PushDocument, { input: { uploadId: receipt.uploadId } }, { token: kirk });
      expect(refused.data?.push).toEqual({ __typename: 'ValidationError', field: 'url', message: 'The bundle has no name: give a url such as "bundle/wiki", or a "name" in bundle.yaml' });
    });
    const pushed = await store.execute(PushDocument, { input: { uploadId: receipt.uploadId, url: 'bundle/from-upload' } }, { token: kirk });
    expect(pushed.data?.push).toMatchObject({ __typename: 'PushSuccess', revision: { url: 'cs:~kirk/bundle/from-upload-0' } });
  });
});

/** kirk's token expires with the clock moved a day on; sign in again. */
async function loginAgain(): Promise<string> {
  const { login } = await import('../support/accounts.js');
  return login(store, 'kirk', 'kirk-password');
}
