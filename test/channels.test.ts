import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ChannelDocument,
  ChannelMapDocument,
  CloseChannelsDocument,
  CreateTrackDocument,
  EntitiesDocument,
  ReleaseDocument,
  ResolveDocument,
  SetDefaultTrackDocument,
  SetTrackGuardrailDocument,
} from './generated/graphql.js';
import { login, loginAdmin } from './support/accounts.js';
import { seed, type SeededEntity, type SeededUser } from './support/seed.js';
import { createTestStore, type TestStore } from './support/store.js';

let store: TestStore;
let adminToken: string;
let fixtures: ReturnType<typeof seed>;
let kirk: SeededUser;
let james: SeededUser;

beforeAll(async () => {
  store = await createTestStore();
  adminToken = await loginAdmin(store);
  fixtures = seed(store, adminToken);
  kirk = await fixtures.user('kirk');
  james = await fixtures.user('james');
});
afterAll(() => store.close());

const DAY = 24 * 3600 * 1000;

async function releaseOk(token: string, url: string, channels: string[], revision?: number) {
  const result = await store.execute(ReleaseDocument, { input: { url, channels, revision } }, { token });
  if (result.data?.release.__typename !== 'ReleaseSuccess') throw new Error(`release failed: ${JSON.stringify(result)}`);
  return result.data.release.releases;
}

async function closeOk(token: string, url: string, channels: string[]) {
  const result = await store.execute(CloseChannelsDocument, { input: { url, channels } }, { token });
  if (result.data?.closeChannels.__typename !== 'CloseChannelsSuccess') throw new Error(`close failed: ${JSON.stringify(result)}`);
  return result.data.closeChannels.entity;
}

async function history(token: string | undefined, url: string, name: string): Promise<Array<number | null>> {
  const result = await store.execute(ChannelDocument, { url, name, first: 100 }, { token });
  return result.data?.entity?.channel?.history.edges.map((edge) => edge.node.revision?.number ?? null) ?? [];
}

async function channelMap(token: string | undefined, url: string) {
  const result = await store.execute(ChannelMapDocument, { url }, { token });
  if (!result.data?.entity) throw new Error(`entity ${url} not visible: ${JSON.stringify(result)}`);
  return result.data.entity;
}

/** name -> [own revision, effective revision, follows] for a compact view of a channel map. */
function summary(map: Array<{ name: string; revision?: { number: number } | null; effectiveRevision?: { number: number } | null; follows?: string | null }>) {
  return Object.fromEntries(map.map((c) => [c.name, [c.revision?.number ?? null, c.effectiveRevision?.number ?? null, c.follows ?? null]]));
}

async function counts() {
  const prisma = store.database.db.prisma;
  const [releases, channels, audits] = await Promise.all([prisma.release.count(), prisma.channel.findMany({ orderBy: { id: 'asc' } }), prisma.auditEvent.count()]);
  return { releases, channels, audits };
}

describe("the charm store's release story", () => {
  it('gives stable (9, 10, 9, 5, 3, 2) and edge (8, 3), and a DOWNGRADE from the mistaken 10', async () => {
    const token = kirk.token;
    const foo = await kirk.charm('foo', { revisions: 4, private: false });
    const url = foo.url;

    // entity: 0---1---2---3, release 2 to stable.
    const first = await releaseOk(token, `${url}-2`, ['stable']);
    expect(first).toEqual([
      {
        channel: 'latest/stable',
        action: 'RELEASE',
        revision: { number: 2, url: 'cs:~kirk/foo-2' },
        resources: [],
        releasedAt: '2026-01-01T00:00:00.000Z',
        releasedBy: 'kirk',
      },
    ]);
    expect(await history(token, url, 'stable')).toEqual([2]);

    // Revision 3 to edge.
    await releaseOk(token, url, ['edge'], 3);
    expect(await history(token, url, 'edge')).toEqual([3]);

    // 4, 5, 6 are pushed; stable and edge do not move.
    await foo.pushRevisions(3);
    expect(summary((await channelMap(token, url)).channelMap)).toMatchObject({ 'latest/stable': [2, 2, null], 'latest/edge': [3, 3, null] });

    // Revision 3 to stable: stable (3, 2).
    await releaseOk(token, `${url}-3`, ['stable']);
    expect(await history(token, url, 'stable')).toEqual([3, 2]);

    // 7, 8; 5 goes to stable, 8 to edge; the hot fix 9 goes to stable.
    await foo.pushRevisions(2);
    await releaseOk(token, `${url}-5`, ['stable']);
    await releaseOk(token, `${url}-8`, ['edge']);
    await foo.pushRevisions(1);
    await releaseOk(token, `${url}-9`, ['stable']);
    expect(await history(token, url, 'stable')).toEqual([9, 5, 3, 2]);
    expect(await history(token, url, 'edge')).toEqual([8, 3]);

    // A user refreshing from 5 gets an upgrade to 9.
    expect((await store.execute(ResolveDocument, { url, currentRevision: 5 })).data?.resolve).toMatchObject({
      __typename: 'Resolution',
      revision: { number: 9 },
      action: 'UPGRADE',
    });

    // 10 is released to stable by mistake, then 9 again.
    await foo.pushRevisions(1);
    await releaseOk(token, `${url}-10`, ['stable']);
    const deployedDuringMistake = await store.execute(ResolveDocument, { url, channel: 'stable' });
    expect(deployedDuringMistake.data?.resolve).toMatchObject({ revision: { number: 10 }, action: 'NONE' });
    await releaseOk(token, `${url}-9`, ['stable']);

    expect(await history(token, url, 'stable')).toEqual([9, 10, 9, 5, 3, 2]);
    expect(await history(token, url, 'edge')).toEqual([8, 3]);
    expect(await history(undefined, url, 'latest/stable')).toEqual([9, 10, 9, 5, 3, 2]);

    // The user who deployed 10 is told to "upgrade", which is really a downgrade to 9.
    const refresh = await store.execute(ResolveDocument, { url, channel: 'stable', currentRevision: 10 });
    expect(refresh.data?.resolve).toEqual({
      __typename: 'Resolution',
      entity: { url: 'cs:~kirk/foo' },
      revision: { number: 9, url: 'cs:~kirk/foo-9' },
      channel: 'latest/stable',
      requestedChannel: 'latest/stable',
      resources: [],
      action: 'DOWNGRADE',
    });

    const map = await channelMap(undefined, url);
    expect(map.channelMap.map((c) => c.name)).toEqual(['latest/stable', 'latest/candidate', 'latest/beta', 'latest/edge']);
    expect(summary(map.channelMap)).toEqual({
      'latest/stable': [9, 9, null],
      'latest/candidate': [null, 9, 'latest/stable'],
      'latest/beta': [null, 9, 'latest/stable'],
      'latest/edge': [8, 8, null],
    });

    // Revision.channels names the channels pointing at a revision now.
    const stable = await store.execute(ChannelDocument, { url, name: 'stable' });
    expect(stable.data?.entity?.channel?.revision).toEqual({ number: 9, channels: ['latest/stable'] });
  });
});

describe('release', () => {
  let bar: SeededEntity;
  beforeAll(async () => {
    bar = await kirk.charm('bar', { revisions: 3, private: false, resources: { data: 'file', image: 'oci-image' } });
    await bar.pushResource('data', 3);
    await bar.pushResource('image', 2);
  });

  it('releases to several channels at once, pinning the newest resource revisions by default', async () => {
    const releases = await releaseOk(kirk.token, `${bar.url}-1`, ['beta', 'rc', 'beta']);
    expect(releases.map((r) => [r.channel, r.revision?.number, r.resources])).toEqual([
      ['latest/beta', 1, [{ name: 'data', revision: 2 }, { name: 'image', revision: 1 }]],
      ['latest/candidate', 1, [{ name: 'data', revision: 2 }, { name: 'image', revision: 1 }]],
    ]);
  });

  it('pins the resource revisions given, and resolve hands them out', async () => {
    const result = await store.execute(
      ReleaseDocument,
      { input: { url: bar.url, revision: 2, channels: ['stable'], resources: [{ name: 'data', revision: 0 }] } },
      { token: kirk.token },
    );
    expect(result.data?.release).toMatchObject({
      __typename: 'ReleaseSuccess',
      releases: [{ channel: 'latest/stable', resources: [{ name: 'data', revision: 0 }, { name: 'image', revision: 1 }] }],
    });
    const resolved = await store.execute(ResolveDocument, { url: bar.url, channel: 'edge' });
    expect(resolved.data?.resolve).toMatchObject({
      __typename: 'Resolution',
      channel: 'latest/beta',
      requestedChannel: 'latest/edge',
      revision: { number: 1 },
      resources: [{ name: 'data', revision: 2 }, { name: 'image', revision: 1 }],
    });
    const stable = await store.execute(ResolveDocument, { url: bar.url });
    expect(stable.data?.resolve).toMatchObject({ channel: 'latest/stable', resources: [{ name: 'data', revision: 0 }, { name: 'image', revision: 1 }] });
  });

  it.each([
    [{ revision: 2, url: 'cs:~kirk/bar-1', channels: ['edge'] }, 'ValidationError', 'revision', 'The url names revision 1 but revision is 2: give the revision once, or make them agree'],
    [{ url: 'cs:~kirk/bar', channels: ['edge'] }, 'ValidationError', 'revision', 'Say which revision to release: "cs:~kirk/bar-9" in the url, or revision: 9'],
    [{ url: 'cs:~kirk/bar-7', channels: ['edge'] }, 'NotFoundError', null, 'cs:~kirk/bar has no revision 7: push it first, or pick one from its revisions'],
    [{ url: 'cs:~kirk/bar-1', channels: [] }, 'ValidationError', 'channels', 'Name at least one channel to release to, e.g. ["stable"] or ["2.0/edge", "2.0/beta"]'],
    [
      { url: 'cs:~kirk/bar-1', channels: ['edge', '2.0/edge'] },
      'ValidationError',
      'channels',
      'Track "2.0" does not exist on cs:~kirk/bar (its tracks: latest): create it first with createTrack(input: { url: "cs:~kirk/bar", name: "2.0" })',
    ],
    [
      { url: 'cs:~kirk/bar-1', channels: ['edge', 'latest/edge/x/y'] },
      'ValidationError',
      'channels',
      '"latest/edge/x/y" is not a valid channel: it has more than three parts; a channel is [track/]risk[/branch] with risk one of stable, candidate (or rc), beta, edge, e.g. "stable", "2.0/edge", "latest/stable/hotfix-1", or a lone track such as "1.2" (= 1.2/stable)',
    ],
    [
      { url: 'cs:~kirk/bar-1', channels: ['edge'], resources: [{ name: 'nope', revision: 0 }] },
      'ValidationError',
      'resources',
      'cs:~kirk/bar-1 does not declare a resource "nope": it declares "data", "image"',
    ],
    [
      { url: 'cs:~kirk/bar-1', channels: ['edge'], resources: [{ name: 'data', revision: 9 }] },
      'ValidationError',
      'resources',
      'Resource "data" has no revision 9: it has 0, 1, 2',
    ],
    [{ url: 'cs:~kirk/nothing-1', channels: ['edge'] }, 'NotFoundError', null, 'No charm or bundle matches "cs:~kirk/nothing-1" (or you may not see it)'],
    [{ url: 'cs:~kirk/Bar-1', channels: ['edge'] }, 'ValidationError', 'url', null],
  ])('refuses %j, changing nothing', async (input, typename, field, message) => {
    const before = await counts();
    const result = await store.execute(ReleaseDocument, { input }, { token: kirk.token });
    expect(result.data?.release.__typename).toBe(typename);
    const error = result.data?.release as { message: string; field?: string | null };
    if (message !== null) expect(error.message).toBe(message);
    if (field !== null) expect(error.field).toBe(field);
    expect(await counts()).toEqual(before);
  });

  it('leaves nothing changed when the database fails halfway through several channels', async () => {
    const half = await kirk.charm('half', { revisions: 2 });
    await releaseOk(kirk.token, `${half.url}-0`, ['edge']);
    // A trigger makes the history insert of latest/beta fail, after latest/edge was written in the same transaction.
    const prisma = store.database.db.prisma;
    await prisma.$executeRawUnsafe(`
      CREATE FUNCTION refuse_beta_release() RETURNS trigger AS $$
      BEGIN
        IF EXISTS (SELECT 1 FROM "Channel" c WHERE c.id = NEW."channelId" AND c.risk = 'BETA' AND c."entityId" = ${half.id}) THEN
          RAISE EXCEPTION 'injected failure';
        END IF;
        RETURN NEW;
      END $$ LANGUAGE plpgsql`);
    await prisma.$executeRawUnsafe(`CREATE TRIGGER refuse_beta_release BEFORE INSERT ON "Release" FOR EACH ROW EXECUTE FUNCTION refuse_beta_release()`);
    try {
      const before = await counts();
      const result = await store.execute(ReleaseDocument, { input: { url: `${half.url}-1`, channels: ['edge', 'beta'] } }, { token: kirk.token });
      expect(result.data ?? null).toBeNull();
      expect(result.errors).toEqual([
        { message: expect.stringMatching(/^Unexpected error \(request [0-9a-f-]{36}\)\.$/), extensions: { code: 'INTERNAL_SERVER_ERROR', requestId: expect.any(String) } },
      ]);
      expect(await counts()).toEqual(before);
      expect(summary((await channelMap(kirk.token, half.url)).channelMap)['latest/edge']).toEqual([0, 0, null]);
    } finally {
      await prisma.$executeRawUnsafe('DROP TRIGGER refuse_beta_release ON "Release"');
      await prisma.$executeRawUnsafe('DROP FUNCTION refuse_beta_release()');
    }
  });

  it('refuses a declared resource that has no revision yet', async () => {
    const baz = await kirk.charm('baz', { revisions: 1, resources: { model: 'file' } });
    const before = await counts();
    const result = await store.execute(ReleaseDocument, { input: { url: `${baz.url}-0`, channels: ['edge', 'beta'] } }, { token: kirk.token });
    expect(result.data?.release).toEqual({
      __typename: 'ValidationError',
      field: 'resources',
      message: 'Resource "model" declared by cs:~kirk/baz-0 has no revisions yet: push one with pushResource before releasing',
    });
    expect(await counts()).toEqual(before);
  });

  it('is for the owner (or a member of the owning group) and admins', async () => {
    const publicCharm = await kirk.charm('open', { revisions: 1, private: false });
    const privateCharm = await kirk.charm('secret', { revisions: 1 });
    const before = await counts();

    const denied = await store.execute(ReleaseDocument, { input: { url: `${publicCharm.url}-0`, channels: ['stable', 'edge'] } }, { token: james.token });
    expect(denied.data?.release).toEqual({
      __typename: 'PermissionDeniedError',
      message: 'You may not release to latest/stable, latest/edge of cs:~kirk/open: the owner or an admin can give you write access to those channels',
    });
    const hidden = await store.execute(ReleaseDocument, { input: { url: `${privateCharm.url}-0`, channels: ['stable'] } }, { token: james.token });
    const missing = await store.execute(ReleaseDocument, { input: { url: 'cs:~kirk/secret-0', channels: ['stable'] } }, { token: james.token });
    expect(hidden.data?.release).toEqual({ __typename: 'NotFoundError', message: 'No charm or bundle matches "cs:~kirk/secret-0" (or you may not see it)' });
    expect(missing.data?.release).toEqual(hidden.data?.release);
    const anonymous = await store.execute(ReleaseDocument, { input: { url: `${publicCharm.url}-0`, channels: ['stable'] } });
    expect(anonymous.data?.release.__typename).toBe('AuthenticationError');
    const closeDenied = await store.execute(CloseChannelsDocument, { input: { url: publicCharm.url, channels: ['edge'] } }, { token: james.token });
    expect(closeDenied.data?.closeChannels).toEqual({
      __typename: 'PermissionDeniedError',
      message: 'You may not close latest/edge of cs:~kirk/open: the owner or an admin can give you write access to that channel',
    });
    expect(await counts()).toEqual(before);

    const byAdmin = await releaseOk(adminToken, `${privateCharm.url}-0`, ['stable']);
    expect(byAdmin[0]?.releasedBy).toBe('admin');

    const spock = await fixtures.user('spock');
    const crew = await fixtures.group('crew', [spock]);
    const ship = await crew.charm('ship', spock, { revisions: 1 });
    expect((await releaseOk(spock.token, `${ship.url}-0`, ['edge']))[0]).toMatchObject({ channel: 'latest/edge', releasedBy: 'spock' });
    const outsider = await store.execute(ReleaseDocument, { input: { url: `${ship.url}-0`, channels: ['edge'] } }, { token: kirk.token });
    expect(outsider.data?.release.__typename).toBe('NotFoundError');
  });

  it('writes an audit event in the same transaction', async () => {
    const audited = await kirk.charm('audited', { revisions: 1 });
    await releaseOk(kirk.token, `${audited.url}-0`, ['edge']);
    await closeOk(kirk.token, audited.url, ['edge']);
    const events = await store.database.db.prisma.auditEvent.findMany({ where: { entityId: audited.id }, orderBy: { id: 'asc' } });
    expect(events.map((e) => [e.action, e.target, e.after])).toEqual([
      ['release', 'cs:~kirk/audited-0', { channels: ['latest/edge'], resources: [] }],
      ['close-channels', 'cs:~kirk/audited', { closed: ['latest/edge'] }],
    ]);
  });
});

describe('closing and falling back', () => {
  it('falls back to the next more stable risk, never to a less stable one, and a closed stable serves nothing', async () => {
    const fall = await kirk.charm('fall', { revisions: 4, private: false });
    const url = fall.url;
    await releaseOk(kirk.token, `${url}-1`, ['stable']);
    await releaseOk(kirk.token, `${url}-2`, ['candidate']);
    await releaseOk(kirk.token, `${url}-3`, ['edge']);
    expect(summary((await channelMap(undefined, url)).channelMap)).toEqual({
      'latest/stable': [1, 1, null],
      'latest/candidate': [2, 2, null],
      'latest/beta': [null, 2, 'latest/candidate'],
      'latest/edge': [3, 3, null],
    });

    const entity = await closeOk(kirk.token, url, ['edge', 'candidate']);
    expect(summary(entity.channelMap)).toEqual({
      'latest/stable': [1, 1, null],
      'latest/candidate': [null, 1, 'latest/stable'],
      'latest/beta': [null, 1, 'latest/stable'],
      'latest/edge': [null, 1, 'latest/stable'],
    });
    expect(entity.channelMap.find((c) => c.name === 'latest/edge')?.closed).toBe(true);
    expect(entity.channelMap.find((c) => c.name === 'latest/beta')?.closed).toBe(false);
    expect((await store.execute(ResolveDocument, { url, channel: 'beta', currentRevision: 2 })).data?.resolve).toMatchObject({
      channel: 'latest/stable',
      requestedChannel: 'latest/beta',
      revision: { number: 1 },
      action: 'DOWNGRADE',
    });

    // Closing stable leaves nothing to serve, not even the less stable ones.
    await releaseOk(kirk.token, `${url}-3`, ['edge']);
    const allClosed = await closeOk(kirk.token, url, ['stable']);
    expect(summary(allClosed.channelMap)).toEqual({
      'latest/stable': [null, null, null],
      'latest/candidate': [null, null, null],
      'latest/beta': [null, null, null],
      'latest/edge': [3, 3, null],
    });
    expect((await store.execute(ResolveDocument, { url, channel: 'candidate' })).data?.resolve).toEqual({
      __typename: 'NotFoundError',
      message:
        'Nothing you may deploy is released in latest/candidate of cs:~kirk/fall: tried latest/candidate, latest/stable (closed, expired or never released)',
    });
    await closeOk(kirk.token, url, ['edge']);
    expect((await store.execute(ResolveDocument, { url, channel: 'edge' })).data?.resolve).toEqual({
      __typename: 'NotFoundError',
      message:
        'Nothing you may deploy is released in latest/edge of cs:~kirk/fall: tried latest/edge, latest/beta, latest/candidate, latest/stable (closed, expired or never released)',
    });

    // Each close is in the history; re-releasing reopens.
    const edge = await store.execute(ChannelDocument, { url, name: 'edge' });
    expect(edge.data?.entity?.channel?.history.edges.map((e) => [e.node.action, e.node.revision?.number ?? null])).toEqual([
      ['CLOSE', null],
      ['RELEASE', 3],
      ['CLOSE', null],
      ['RELEASE', 3],
    ]);
    await releaseOk(kirk.token, `${url}-0`, ['stable']);
    expect(summary((await channelMap(undefined, url)).channelMap)['latest/edge']).toEqual([null, 0, 'latest/stable']);
  });

  it('records closing a channel that was never released', async () => {
    const quiet = await kirk.charm('quiet', { revisions: 1 });
    const entity = await closeOk(kirk.token, quiet.url, ['beta']);
    expect(entity.channelMap.find((c) => c.name === 'latest/beta')).toMatchObject({ closed: true, revision: null, follows: null });
    expect(await history(kirk.token, quiet.url, 'beta')).toEqual([null]);
  });
});

describe('branches', () => {
  // Tokens live 30 days too: sign in again after moving the clock, and move it back afterwards.
  let advanced = 0;
  const advance = async (ms: number) => {
    store.clock.advance(ms);
    advanced += ms;
    return login(store, 'kirk', 'kirk-password');
  };
  afterAll(() => store.clock.advance(-advanced));

  it('serve until closed or 30 days without a release, then fall back to their track/risk', async () => {
    const hot = await kirk.charm('hot', { revisions: 3, private: false });
    let token = kirk.token;
    const url = hot.url;
    await releaseOk(kirk.token, `${url}-0`, ['stable']);
    await releaseOk(kirk.token, `${url}-1`, ['stable/hotfix-1']);
    const releasedAt = store.clock.now;
    token = await advance(10 * DAY);
    await releaseOk(token, `${url}-2`, ['latest/edge/feature']);

    const map = await channelMap(undefined, url);
    expect(map.channelMap.map((c) => [c.name, c.branch, c.revision?.number ?? null, c.expiresAt])).toEqual([
      ['latest/stable', null, 0, null],
      ['latest/stable/hotfix-1', 'hotfix-1', 1, new Date(releasedAt.getTime() + 30 * DAY).toISOString()],
      ['latest/candidate', null, null, null],
      ['latest/beta', null, null, null],
      ['latest/edge', null, null, null],
      ['latest/edge/feature', 'feature', 2, new Date(releasedAt.getTime() + 40 * DAY).toISOString()],
    ]);
    expect((await store.execute(ResolveDocument, { url, channel: 'stable/hotfix-1' })).data?.resolve).toMatchObject({
      channel: 'latest/stable/hotfix-1',
      requestedChannel: 'latest/stable/hotfix-1',
      revision: { number: 1 },
    });

    // 30 days after its release the hotfix branch is closed and falls back to latest/stable.
    token = await advance(20 * DAY);
    const expired = await store.execute(ChannelDocument, { url, name: 'stable/hotfix-1' });
    expect(expired.data?.entity?.channel).toMatchObject({
      name: 'latest/stable/hotfix-1',
      closed: true,
      revision: null,
      effectiveRevision: { number: 0 },
      follows: 'latest/stable',
      expiresAt: new Date(releasedAt.getTime() + 30 * DAY).toISOString(),
    });
    expect((await channelMap(undefined, url)).channelMap.map((c) => c.name)).toEqual([
      'latest/stable',
      'latest/candidate',
      'latest/beta',
      'latest/edge',
      'latest/edge/feature',
    ]);
    expect((await store.execute(ResolveDocument, { url, channel: 'latest/stable/hotfix-1', currentRevision: 1 })).data?.resolve).toMatchObject({
      channel: 'latest/stable',
      revision: { number: 0 },
      action: 'DOWNGRADE',
    });

    // A closed branch falls back to its risk, which itself falls back.
    await closeOk(token, url, ['edge/feature']);
    expect(summary((await channelMap(undefined, url)).channelMap)).toEqual({
      'latest/stable': [0, 0, null],
      'latest/candidate': [null, 0, 'latest/stable'],
      'latest/beta': [null, 0, 'latest/stable'],
      'latest/edge': [null, 0, 'latest/stable'],
    });
    const closedBranch = await store.execute(ChannelDocument, { url, name: 'latest/edge/feature' });
    expect(closedBranch.data?.entity?.channel).toMatchObject({ closed: true, follows: 'latest/stable', expiresAt: null });

    // Releasing again reopens a branch for another 30 days.
    await releaseOk(token, `${url}-1`, ['stable/hotfix-1']);
    const reopened = await store.execute(ChannelDocument, { url, name: 'stable/hotfix-1' });
    expect(reopened.data?.entity?.channel).toMatchObject({
      closed: false,
      revision: { number: 1 },
      expiresAt: new Date(store.clock.now.getTime() + 30 * DAY).toISOString(),
    });
    expect(await history(undefined, url, 'stable/hotfix-1')).toEqual([1, 1]);
    // A branch never released to is not a channel.
    expect((await store.execute(ChannelDocument, { url, name: 'stable/nope' })).data?.entity?.channel).toBeNull();
  });
});

describe('tracks', () => {
  it('has latest as the default until another track is set; releases need the track to exist', async () => {
    const multi = await kirk.charm('multi', { revisions: 3, private: false });
    const url = multi.url;
    const before = (await channelMap(undefined, url)).tracks;
    expect(before.map((track) => [track.name, track.isDefault, track.channels.map((c) => c.name)])).toEqual([
      ['latest', true, ['latest/stable', 'latest/candidate', 'latest/beta', 'latest/edge']],
    ]);

    const created = await store.execute(CreateTrackDocument, { input: { url, name: '2.0' } }, { token: kirk.token });
    expect(created.data?.createTrack).toEqual({
      __typename: 'CreateTrackSuccess',
      entity: { url, tracks: [{ name: 'latest', isDefault: true }, { name: '2.0', isDefault: false }] },
    });
    const again = await store.execute(CreateTrackDocument, { input: { url, name: '2.0' } }, { token: kirk.token });
    expect(again.data?.createTrack).toEqual({ __typename: 'ConflictError', message: 'Track "2.0" already exists on cs:~kirk/multi' });

    await releaseOk(kirk.token, `${url}-1`, ['2.0/stable', '2.0/edge']);
    await releaseOk(kirk.token, `${url}-2`, ['stable']);
    expect((await store.execute(ResolveDocument, { url, channel: '2.0' })).data?.resolve).toMatchObject({
      channel: '2.0/stable',
      requestedChannel: '2.0/stable',
      revision: { number: 1 },
    });

    const setDefault = await store.execute(SetDefaultTrackDocument, { input: { url, track: '2.0' } }, { token: kirk.token });
    expect(setDefault.data?.setDefaultTrack).toEqual({
      __typename: 'SetDefaultTrackSuccess',
      entity: { url, defaultTrack: '2.0', tracks: [{ name: '2.0', isDefault: true }, { name: 'latest', isDefault: false }] },
    });
    // A lone risk and an omitted channel now mean the 2.0 track.
    expect((await store.execute(ResolveDocument, { url })).data?.resolve).toMatchObject({ channel: '2.0/stable', revision: { number: 1 } });
    expect((await store.execute(ResolveDocument, { url, channel: 'edge' })).data?.resolve).toMatchObject({ channel: '2.0/edge' });
    const map = await channelMap(undefined, url);
    expect(map.channelMap.map((c) => c.name)).toEqual([
      '2.0/stable',
      '2.0/candidate',
      '2.0/beta',
      '2.0/edge',
      'latest/stable',
      'latest/candidate',
      'latest/beta',
      'latest/edge',
    ]);
    const partial = await store.execute(ChannelDocument, { url, name: 'edge' });
    expect(partial.data?.entity?.channel).toMatchObject({ name: '2.0/edge', revision: { number: 1, channels: ['2.0/stable', '2.0/edge'] } });
    expect((await store.execute(ChannelDocument, { url, name: '3.0' })).data?.entity?.channel).toBeNull();
    expect((await store.execute(ChannelDocument, { url, name: 'not/a/valid/name' })).data?.entity?.channel).toBeNull();

    const missing = await store.execute(SetDefaultTrackDocument, { input: { url, track: '3.0' } }, { token: kirk.token });
    expect(missing.data?.setDefaultTrack).toEqual({
      __typename: 'NotFoundError',
      message: 'Track "3.0" does not exist on cs:~kirk/multi (its tracks: latest, 2.0): create it first with createTrack',
    });
    const denied = await store.execute(SetDefaultTrackDocument, { input: { url, track: 'latest' } }, { token: james.token });
    expect(denied.data?.setDefaultTrack).toEqual({
      __typename: 'PermissionDeniedError',
      message: 'Only the owner of cs:~kirk/multi or an admin may set its default track',
    });
    const missingTrack = await store.execute(ResolveDocument, { url, channel: '3.0/edge' });
    expect(missingTrack.data?.resolve).toEqual({ __typename: 'NotFoundError', message: 'cs:~kirk/multi has no track "3.0": its tracks are 2.0, latest' });
  });

  it.each(['stable', 'Edge', 'rc', 'unpublished', 'a'.repeat(29), '1..2', '-1', 'a/b', 'with space', ''])(
    'refuses the track name %j',
    async (name) => {
      const result = await store.execute(CreateTrackDocument, { input: { url: 'cs:~kirk/multi', name } }, { token: kirk.token });
      expect(result.data?.createTrack).toMatchObject({ __typename: 'ValidationError', field: 'name' });
    },
  );

  it('lets writers create tracks matching a guardrail an admin set', async () => {
    const guarded = await kirk.charm('guarded', { revisions: 1, private: false });
    const url = guarded.url;
    // lars may write to edge (as a grant would record it), and read unpublished: releasing
    // a revision no channel has yet needs that (docs/security.md).
    const lars = await fixtures.user('lars');
    await store.database.db.prisma.aclEntry.create({ data: { entityId: guarded.id, channel: 'edge', kind: 'WRITE', principal: 'lars' } });
    await store.database.db.prisma.aclEntry.create({ data: { entityId: guarded.id, channel: 'unpublished', kind: 'READ', principal: 'lars' } });

    const before = await store.execute(CreateTrackDocument, { input: { url, name: '2.0' } }, { token: lars.token });
    expect(before.data?.createTrack).toEqual({
      __typename: 'PermissionDeniedError',
      message: 'Only the owner of cs:~kirk/guarded or an admin may create track "2.0"',
    });
    const notAdmin = await store.execute(SetTrackGuardrailDocument, { input: { url, pattern: '\\d+\\.\\d+' } }, { token: kirk.token });
    expect(notAdmin.data?.setTrackGuardrail).toEqual({ __typename: 'PermissionDeniedError', message: 'Only store administrators may set a track guardrail' });
    const bad = await store.execute(SetTrackGuardrailDocument, { input: { url, pattern: '(' } }, { token: adminToken });
    expect(bad.data?.setTrackGuardrail).toMatchObject({ __typename: 'ValidationError', field: 'pattern' });

    const set = await store.execute(SetTrackGuardrailDocument, { input: { url, pattern: '\\d+\\.\\d+' } }, { token: adminToken });
    expect(set.data?.setTrackGuardrail).toEqual({ __typename: 'SetTrackGuardrailSuccess', entity: { url, trackGuardrail: '\\d+\\.\\d+' } });
    const matching = await store.execute(CreateTrackDocument, { input: { url, name: '2.0' } }, { token: lars.token });
    expect(matching.data?.createTrack).toMatchObject({ __typename: 'CreateTrackSuccess' });
    const other = await store.execute(CreateTrackDocument, { input: { url, name: '2.0-beta' } }, { token: lars.token });
    expect(other.data?.createTrack).toEqual({
      __typename: 'PermissionDeniedError',
      message:
        'Only the owner of cs:~kirk/guarded or an admin may create track "2.0-beta"; writers may create tracks matching "\\\\d+\\\\.\\\\d+", which "2.0-beta" does not or you cannot write to',
    });
    const outsider = await store.execute(CreateTrackDocument, { input: { url, name: '3.0' } }, { token: james.token });
    expect(outsider.data?.createTrack.__typename).toBe('PermissionDeniedError');
    // lars may release to 2.0/edge but not 2.0/stable.
    expect((await releaseOk(lars.token, `${url}-0`, ['2.0/edge']))[0]?.channel).toBe('2.0/edge');
    const stable = await store.execute(ReleaseDocument, { input: { url: `${url}-0`, channels: ['2.0/stable'] } }, { token: lars.token });
    expect(stable.data?.release.__typename).toBe('PermissionDeniedError');

    const cleared = await store.execute(SetTrackGuardrailDocument, { input: { url, pattern: null } }, { token: adminToken });
    expect(cleared.data?.setTrackGuardrail).toEqual({ __typename: 'SetTrackGuardrailSuccess', entity: { url, trackGuardrail: null } });
  });
});

describe('resolve', () => {
  let res: SeededEntity;
  beforeAll(async () => {
    res = await kirk.charm('res', { revisions: 6, private: false });
    await releaseOk(kirk.token, `${res.url}-4`, ['stable']);
  });

  it.each([
    [undefined, 'NONE'],
    [4, 'NONE'],
    [2, 'UPGRADE'],
    [5, 'DOWNGRADE'],
  ])('compares with currentRevision %j: %s', async (currentRevision, action) => {
    const result = await store.execute(ResolveDocument, { url: res.url, currentRevision });
    expect(result.data?.resolve).toMatchObject({ __typename: 'Resolution', revision: { number: 4 }, action });
  });

  it('finds entities through every url form', async () => {
    for (const url of ['cs:~kirk/res', '~kirk/res']) {
      expect((await store.execute(ResolveDocument, { url })).data?.resolve).toMatchObject({ entity: { url: 'cs:~kirk/res' } });
    }
  });

  it('refuses a url with a revision, and malformed channels', async () => {
    expect((await store.execute(ResolveDocument, { url: 'cs:~kirk/res-4' })).data?.resolve).toEqual({
      __typename: 'ValidationError',
      field: 'url',
      message:
        '"cs:~kirk/res-4" names revision 4, but resolve answers what a channel serves: drop "-4" from the url, and pass currentRevision: 4 to compare with it',
    });
    expect((await store.execute(ResolveDocument, { url: res.url, channel: 'edge/' })).data?.resolve).toMatchObject({
      __typename: 'ValidationError',
      field: 'channel',
    });
  });

  it('answers the same NotFoundError for a private entity as for a missing one', async () => {
    const hidden = await kirk.charm('hidden', { revisions: 1 });
    await releaseOk(kirk.token, `${hidden.url}-0`, ['stable']);
    const asJames = await store.execute(ResolveDocument, { url: hidden.url }, { token: james.token });
    const missing = await store.execute(ResolveDocument, { url: 'cs:~kirk/hidden' }, { token: james.token });
    expect(asJames.data?.resolve).toEqual({ __typename: 'NotFoundError', message: 'No charm or bundle matches "cs:~kirk/hidden" (or you may not see it)' });
    expect(missing.data?.resolve).toEqual(asJames.data?.resolve);
    expect((await store.execute(ResolveDocument, { url: 'cs:~kirk/none' })).data?.resolve).toEqual({
      __typename: 'NotFoundError',
      message: 'No charm or bundle matches "cs:~kirk/none" (or you may not see it)',
    });
    expect((await store.execute(ResolveDocument, { url: hidden.url }, { token: kirk.token })).data?.resolve).toMatchObject({ revision: { number: 0 } });
    expect((await store.execute(ChannelMapDocument, { url: hidden.url }, { token: james.token })).data?.entity).toBeNull();
  });
});

describe('history', () => {
  it('pages newest first', async () => {
    const paged = await kirk.charm('paged', { revisions: 5, private: false });
    for (const revision of [0, 1, 2, 3, 4]) await releaseOk(kirk.token, `${paged.url}-${revision}`, ['edge']);
    const first = await store.execute(ChannelDocument, { url: paged.url, name: 'edge', first: 2 });
    const page1 = first.data?.entity?.channel?.history;
    expect(page1?.edges.map((e) => e.node.revision?.number)).toEqual([4, 3]);
    expect(page1?.pageInfo.hasNextPage).toBe(true);
    const second = await store.execute(ChannelDocument, { url: paged.url, name: 'edge', first: 2, after: page1?.pageInfo.endCursor });
    expect(second.data?.entity?.channel?.history.edges.map((e) => e.node.revision?.number)).toEqual([2, 1]);
    const third = await store.execute(ChannelDocument, {
      url: paged.url,
      name: 'edge',
      first: 2,
      after: second.data?.entity?.channel?.history.pageInfo.endCursor,
    });
    expect(third.data?.entity?.channel?.history.edges.map((e) => e.node.revision?.number)).toEqual([0]);
    expect(third.data?.entity?.channel?.history.pageInfo.hasNextPage).toBe(false);
  });
});

describe('entities', () => {
  it('lists what the caller may see, by owner and kind, in pages', async () => {
    const scotty = await fixtures.user('scotty');
    await scotty.charm('engine', { private: false });
    await scotty.charm('warp', { private: true });
    await scotty.bundle('ship', { private: false });

    const anonymous = await store.execute(EntitiesDocument, { owner: 'scotty' });
    expect(anonymous.data?.entities.edges.map((e) => e.node.url)).toEqual(['cs:~scotty/engine', 'cs:~scotty/bundle/ship']);
    const own = await store.execute(EntitiesDocument, { owner: 'scotty' }, { token: scotty.token });
    expect(own.data?.entities.edges.map((e) => e.node.url)).toEqual(['cs:~scotty/engine', 'cs:~scotty/bundle/ship', 'cs:~scotty/warp']);
    const bundles = await store.execute(EntitiesDocument, { owner: 'scotty', kind: 'BUNDLE' }, { token: scotty.token });
    expect(bundles.data?.entities.edges.map((e) => e.node.url)).toEqual(['cs:~scotty/bundle/ship']);

    const page1 = await store.execute(EntitiesDocument, { owner: 'scotty', first: 2 }, { token: scotty.token });
    expect(page1.data?.entities.pageInfo.hasNextPage).toBe(true);
    const page2 = await store.execute(EntitiesDocument, { owner: 'scotty', first: 2, after: page1.data?.entities.pageInfo.endCursor }, { token: scotty.token });
    expect(page2.data?.entities.edges.map((e) => e.node.url)).toEqual(['cs:~scotty/warp']);
    expect(page2.data?.entities.pageInfo.hasNextPage).toBe(false);
  });
});
