import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChannelDocument, CloseChannelsDocument, PromoteDocument, PushResourceDocument, ReleaseDocument, ResolveSeriesDocument } from './generated/graphql.js';
import { createUserAndLogin, loginAdmin } from './support/accounts.js';
import { expectStoreUnchanged, pushOk } from './support/push.js';
import { createTestStore, type TestStore } from './support/store.js';
import { buildZip, charmZip } from './support/zip.js';

let store: TestStore;
let kirk: string;
let spock: string;

async function pushConfig(content: string) {
  const result = await store.executeMultipart(
    PushResourceDocument,
    { input: { url: '~kirk/web', name: 'config', file: null } },
    { 'input.file': new File([new Uint8Array(Buffer.from(content))], 'config') },
    { token: kirk },
  );
  expect(result.data?.pushResource.__typename).toBe('PushResourceSuccess');
}

async function releaseOk(url: string, revision: number, channels: string[], resources?: Array<{ name: string; revision: number }>) {
  const result = await store.execute(ReleaseDocument, { input: { url, revision, channels, resources } }, { token: kirk });
  if (result.data?.release.__typename !== 'ReleaseSuccess') throw new Error(`release failed: ${JSON.stringify(result)}`);
  return result.data.release.releases;
}

const promote = (input: { url: string; from: string; to: string[] }, token = kirk) => store.execute(PromoteDocument, { input }, { token });

async function history(name: string) {
  const result = await store.execute(ChannelDocument, { url: '~kirk/web', name, first: 20 }, { token: kirk });
  return result.data?.entity?.channel?.history.edges.map((edge) => edge.node.revision?.number ?? null);
}

beforeAll(async () => {
  store = await createTestStore();
  const admin = await loginAdmin(store);
  kirk = await createUserAndLogin(store, admin, 'kirk');
  spock = await createUserAndLogin(store, admin, 'spock');
  const resources = { config: { type: 'file', description: 'Configuration' } };
  for (const note of ['a', 'b']) await pushOk(store, kirk, charmZip({ name: 'web', resources, revisionNote: note }), '~kirk/web');
  await pushConfig('one');
  await pushConfig('two');
  await releaseOk('~kirk/web', 0, ['stable'], [{ name: 'config', revision: 0 }]);
  await releaseOk('~kirk/web', 1, ['edge'], [{ name: 'config', revision: 1 }]);
});
afterAll(() => store.close());

describe('promote', () => {
  it('releases what from serves, with its resource pins, to every target as ordinary history entries', async () => {
    const result = await promote({ url: 'cs:~kirk/web', from: 'edge', to: ['beta', 'candidate'] });
    expect(result.data?.promote).toEqual({
      __typename: 'PromoteSuccess',
      from: 'latest/edge',
      releases: [
        { channel: 'latest/beta', revision: { number: 1 }, resources: [{ name: 'config', revision: 1 }] },
        { channel: 'latest/candidate', revision: { number: 1 }, resources: [{ name: 'config', revision: 1 }] },
      ],
    });
    expect(await history('beta')).toEqual([1]);
    expect(await history('candidate')).toEqual([1]);
    // Its audit event, recorded with the change: what was copied from where, with the pins.
    const event = await store.database.db.prisma.auditEvent.findFirstOrThrow({ where: { action: 'promote' }, orderBy: { id: 'desc' } });
    expect([event.target, event.after]).toEqual([
      'cs:~kirk/web-1',
      {
        from: 'latest/edge',
        channels: ['latest/beta', 'latest/candidate'],
        resources: [{ name: 'config', revision: 1 }],
        entries: [{ revision: 1, from: 'latest/edge', bases: [expect.objectContaining({ name: 'ubuntu', channel: '22.04' })], resources: [{ name: 'config', revision: 1 }] }],
      },
    ]);
  });

  it('promotes what a closed channel falls back to, and says which channel that was', async () => {
    const closed = await store.execute(CloseChannelsDocument, { input: { url: '~kirk/web', channels: ['beta', 'candidate'] } }, { token: kirk });
    expect(closed.data?.closeChannels.__typename).toBe('CloseChannelsSuccess');
    const result = await promote({ url: '~kirk/web', from: 'beta', to: ['edge'] });
    expect(result.data?.promote).toMatchObject({ from: 'latest/stable', releases: [{ channel: 'latest/edge', revision: { number: 0 }, resources: [{ name: 'config', revision: 0 }] }] });
    expect(await history('edge')).toEqual([0, 1]);
  });

  it('is all or nothing, and refuses what it cannot do with a typed error', async () => {
    const refusals: Array<[{ url: string; from: string; to: string[] }, string, string]> = [
      [{ url: '~kirk/web', from: 'stable', to: ['beta', '9.9/edge'] }, 'ValidationError', 'Track "9.9" does not exist'],
      [{ url: '~kirk/web', from: 'edge', to: ['edge'] }, 'ValidationError', 'is both the channel to promote from and one to promote to'],
      [{ url: '~kirk/web', from: 'stabel', to: ['beta'] }, 'ValidationError', '"stabel" is neither a risk nor a track of cs:~kirk/web: did you mean "stable"?'],
      [{ url: '~kirk/web', from: 'stable/', to: ['beta'] }, 'ValidationError', 'is not a valid channel'],
      [{ url: '~kirk/web', from: 'stable', to: [] }, 'ValidationError', 'Name at least one channel'],
      [{ url: '~kirk/nothing', from: 'stable', to: ['beta'] }, 'NotFoundError', 'No charm or bundle matches "~kirk/nothing"'],
    ];
    for (const [input, type, message] of refusals) {
      await expectStoreUnchanged(store, async () => {
        const result = await promote(input);
        expect(result.data?.promote.__typename).toBe(type);
        expect(result.data?.promote).toMatchObject({ message: expect.stringContaining(message) });
      });
    }
    await expectStoreUnchanged(store, async () => {
      expect((await promote({ url: '~kirk/web', from: 'stable', to: ['beta'] }, spock)).data?.promote.__typename).toBe('NotFoundError');
    });
  });

  it('answers NotFoundError when from serves nothing', async () => {
    await pushOk(store, kirk, charmZip({ name: 'empty' }), '~kirk/empty');
    const result = await promote({ url: '~kirk/empty', from: 'edge', to: ['beta'] });
    expect(result.data?.promote).toMatchObject({ __typename: 'NotFoundError', message: expect.stringContaining('Nothing is released in latest/edge') });
  });
});

describe('channel grammar and url series', () => {
  it('reads a risk followed by any word as risk/branch on the default track ("stable/edge")', async () => {
    const releases = await releaseOk('~kirk/web', 1, ['stable/edge']);
    expect(releases.map((entry) => entry.channel)).toEqual(['latest/stable/edge']);
    const resolved = await store.execute(ResolveSeriesDocument, { url: '~kirk/web', channel: 'stable/edge' }, { token: kirk });
    expect(resolved.data?.resolve).toMatchObject({ revision: { number: 1 }, channel: 'latest/stable/edge' });
  });

  it('serves a url with a series segment only a revision that runs on that series', async () => {
    // "web" (charmZip) declares the base ubuntu 22.04 in manifest.yaml: jammy, not focal.
    const jammy = await store.execute(ResolveSeriesDocument, { url: 'cs:~kirk/jammy/web', channel: 'stable' }, { token: kirk });
    expect(jammy.data?.resolve).toMatchObject({ __typename: 'Resolution', revision: { number: 0 } });
    const focal = await store.execute(ResolveSeriesDocument, { url: 'cs:~kirk/focal/web', channel: 'stable' }, { token: kirk });
    expect(focal.data?.resolve).toEqual({
      __typename: 'NotFoundError',
      message:
        'Nothing you may deploy for series "focal" (ubuntu 20.04) is released in latest/stable of cs:~kirk/web: tried latest/stable (closed, expired, never released or without that platform)',
    });

    // An old charm declares series only; the segment must be one of them.
    const old = buildZip([{ name: 'metadata.yaml', data: 'name: old\nsummary: s\ndescription: d\nseries: [xenial, trusty]\n' }]);
    await pushOk(store, kirk, old, '~kirk/old');
    await store.execute(ReleaseDocument, { input: { url: '~kirk/old', revision: 0, channels: ['stable'] } }, { token: kirk });
    const xenial = await store.execute(ResolveSeriesDocument, { url: '~kirk/xenial/old' }, { token: kirk });
    expect(xenial.data?.resolve).toMatchObject({ __typename: 'Resolution', revision: { number: 0 } });
    const bionic = await store.execute(ResolveSeriesDocument, { url: '~kirk/bionic/old' }, { token: kirk });
    expect(bionic.data?.resolve).toMatchObject({ __typename: 'NotFoundError', message: expect.stringContaining('Nothing you may deploy for series "bionic" (ubuntu 18.04)') });
    // A series with no base in the store's table is checked against the revision's own series.
    const kubernetes = await store.execute(ResolveSeriesDocument, { url: '~kirk/kubernetes/old' }, { token: kirk });
    expect(kubernetes.data?.resolve).toMatchObject({ __typename: 'NotFoundError', message: expect.stringContaining('(it declares xenial, trusty, ubuntu@16.04, ubuntu@14.04)') });
  });
});
