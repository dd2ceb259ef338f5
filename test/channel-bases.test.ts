import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ChannelBasesDocument,
  CloseChannelsDocument,
  PromoteBasesDocument,
  PushResourceDocument,
  RefreshDocument,
  ReleaseDocument,
  ReleasePinsDocument,
  ResolveDocument,
  ResolveOnBaseDocument,
  RevisionChannelNamesDocument,
  SetResourceArchitecturesDocument,
} from './generated/graphql.js';
import { createUserAndLogin, login, loginAdmin } from './support/accounts.js';
import { expectStoreUnchanged, pushOk } from './support/push.js';
import { createTestStore, type TestStore } from './support/store.js';
import { buildZip, bundleZip } from './support/zip.js';

// Charmhub's channel map: one entry per channel x platform. Charms are packed
// here as charmcraft packs them: one archive per build, its manifest.yaml
// listing the bases (and architectures) that archive runs on.
const REAL = path.resolve(fileURLToPath(new URL('.', import.meta.url)), '../../shared/real-charms');

type BaseSpec = { name: string; channel: string; architectures: string[] };
const ubuntu = (channel: string, ...architectures: string[]): BaseSpec => ({ name: 'ubuntu', channel, architectures });
const on = (channel: string, architecture: string) => ({ name: 'ubuntu', channel, architecture });

function manifest(bases: BaseSpec[]): string {
  return `bases:\n${bases.map((base) => `  - name: ${base.name}\n    channel: "${base.channel}"\n    architectures: [${base.architectures.join(', ')}]\n`).join('')}`;
}

function charm(name: string, bases: BaseSpec[], note: string, resources?: Record<string, unknown>): Buffer {
  const metadata = { name, summary: `The ${name} charm`, description: `Deploys ${name}.`, ...(resources ? { resources } : {}) };
  return buildZip([
    { name: 'metadata.yaml', data: JSON.stringify(metadata) },
    { name: 'manifest.yaml', data: manifest(bases) },
    { name: 'dispatch', data: `#!/bin/sh\necho ${note}\n`, mode: 0o100755 },
  ]);
}

let store: TestStore;
let kirk: string;

async function pushResource(url: string, name: string, content: string) {
  const result = await store.executeMultipart(
    PushResourceDocument,
    { input: { url, name, file: null } },
    { 'input.file': new File([new Uint8Array(Buffer.from(content))], name) },
    { token: kirk },
  );
  expect(result.data?.pushResource.__typename).toBe('PushResourceSuccess');
}

async function releaseOk(url: string, revision: number, channels: string[], resources?: Array<{ name: string; revision: number }>) {
  const result = await store.execute(ReleaseDocument, { input: { url, revision, channels, resources } }, { token: kirk });
  if (result.data?.release.__typename !== 'ReleaseSuccess') throw new Error(`release failed: ${JSON.stringify(result)}`);
}

async function resolveOn(url: string, channel: string, base: { name: string; channel: string; architecture: string } | null) {
  const result = await store.execute(ResolveOnBaseDocument, { url, channel, base }, { token: kirk });
  return result.data?.resolve;
}

/** What a channel serves per platform: "22.04/amd64" -> [own revision, effective revision, follows]. */
async function channelBases(url: string, name: string) {
  const result = await store.execute(ChannelBasesDocument, { url, name }, { token: kirk });
  const channel = result.data?.entity?.channel;
  return Object.fromEntries(
    (channel?.bases ?? []).map((entry) => [
      entry.base ? `${entry.base.channel}/${entry.base.architectures.join(',')}` : 'any',
      [entry.revision?.number ?? null, entry.effectiveRevision?.number ?? null, entry.follows],
    ]),
  );
}

async function history(url: string, name: string) {
  const result = await store.execute(ChannelBasesDocument, { url, name }, { token: kirk });
  return result.data?.entity?.channel?.history.edges.map(({ node }) => ({
    action: node.action,
    revision: node.revision?.number ?? null,
    bases: node.bases,
    resources: node.resources,
  }));
}

beforeAll(async () => {
  store = await createTestStore();
  kirk = await createUserAndLogin(store, await loginAdmin(store), 'kirk');
});
afterAll(() => store.close());

describe('two architectures in one channel', () => {
  const url = '~kirk/multi';
  const image = { image: { type: 'file', description: 'The workload' } };

  beforeAll(async () => {
    await pushOk(store, kirk, charm('multi', [ubuntu('22.04', 'amd64')], 'amd64 one', image), url); // 0
    await pushOk(store, kirk, charm('multi', [ubuntu('22.04', 'arm64')], 'arm64 one', image), url); // 1
    await pushOk(store, kirk, charm('multi', [ubuntu('22.04', 'amd64')], 'amd64 two', image), url); // 2
    await pushResource(url, 'image', 'amd64 image');
    await pushResource(url, 'image', 'arm64 image');
  });

  it('keeps the amd64 revision when an arm64-only revision is released to the same channel; each platform resolves to its own, with its pins', async () => {
    await releaseOk(url, 0, ['stable'], [{ name: 'image', revision: 0 }]);
    await releaseOk(url, 1, ['stable'], [{ name: 'image', revision: 1 }]);
    expect(await resolveOn(url, 'stable', on('22.04', 'amd64'))).toEqual({
      __typename: 'Resolution',
      entity: { url: 'cs:~kirk/multi' },
      revision: { number: 0 },
      channel: 'latest/stable',
      resources: [{ name: 'image', revision: 0 }],
    });
    expect(await resolveOn(url, 'stable', on('22.04', 'arm64'))).toEqual({
      __typename: 'Resolution',
      entity: { url: 'cs:~kirk/multi' },
      revision: { number: 1 },
      channel: 'latest/stable',
      resources: [{ name: 'image', revision: 1 }],
    });
    // Without a base: as before channel maps, the revision released last.
    expect(await resolveOn(url, 'stable', null)).toMatchObject({ revision: { number: 1 }, resources: [{ name: 'image', revision: 1 }] });
    expect(await channelBases(url, 'stable')).toEqual({ '22.04/amd64': [0, 0, null], '22.04/arm64': [1, 1, null] });
    // Both revisions are in stable, each for its platform.
    for (const number of [0, 1]) {
      const revision = await store.execute(RevisionChannelNamesDocument, { url: `${url}-${number}` }, { token: kirk });
      expect(revision.data?.revision?.channels).toEqual(['latest/stable']);
    }
    expect(await history(url, 'stable')).toEqual([
      { action: 'RELEASE', revision: 1, bases: [ubuntu('22.04', 'arm64')], resources: [{ name: 'image', revision: 1 }] },
      { action: 'RELEASE', revision: 0, bases: [ubuntu('22.04', 'amd64')], resources: [{ name: 'image', revision: 0 }] },
    ]);
  });

  it('resolves for a platform in as few statements as without one', async () => {
    const statements: string[] = [];
    const stop = store.database.db.onStatement((sql) => statements.push(sql));
    try {
      expect(await resolveOn(url, 'beta', on('22.04', 'arm64'))).toMatchObject({ revision: { number: 1 }, resources: [{ name: 'image', revision: 1 }] });
    } finally {
      stop();
    }
    expect(statements.length).toBeLessThanOrEqual(3);
  });

  it('answers a platform the channel has nothing for with a NotFoundError', async () => {
    expect(await resolveOn(url, 'stable', on('22.04', 's390x'))).toEqual({
      __typename: 'NotFoundError',
      message: expect.stringContaining('Nothing you may deploy for ubuntu 22.04 (s390x) is released in latest/stable of cs:~kirk/multi'),
    });
    expect(await resolveOn(url, 'stable', on('24.04', 'amd64'))).toMatchObject({ __typename: 'NotFoundError' });
  });

  it('falls back per platform: edge with only amd64 serves arm64 from stable', async () => {
    await releaseOk(url, 2, ['edge'], [{ name: 'image', revision: 0 }]);
    expect(await resolveOn(url, 'edge', on('22.04', 'amd64'))).toMatchObject({ revision: { number: 2 }, channel: 'latest/edge' });
    expect(await resolveOn(url, 'edge', on('22.04', 'arm64'))).toMatchObject({
      revision: { number: 1 },
      channel: 'latest/stable',
      resources: [{ name: 'image', revision: 1 }],
    });
    expect(await channelBases(url, 'edge')).toEqual({ '22.04/amd64': [2, 2, null], '22.04/arm64': [null, 1, 'latest/stable'] });
    expect(await channelBases(url, 'beta')).toEqual({ '22.04/amd64': [null, 0, 'latest/stable'], '22.04/arm64': [null, 1, 'latest/stable'] });
  });

  it('promotes per platform: what from serves to each, with that entry\'s pins, as one release entry per revision', async () => {
    const result = await store.execute(PromoteBasesDocument, { input: { url, from: 'edge', to: ['candidate'] } }, { token: kirk });
    expect(result.data?.promote).toEqual({
      __typename: 'PromoteSuccess',
      from: 'latest/edge',
      releases: [
        { channel: 'latest/candidate', revision: { number: 1 }, bases: [ubuntu('22.04', 'arm64')], resources: [{ name: 'image', revision: 1 }] },
        { channel: 'latest/candidate', revision: { number: 2 }, bases: [ubuntu('22.04', 'amd64')], resources: [{ name: 'image', revision: 0 }] },
      ],
    });
    expect(await channelBases(url, 'candidate')).toEqual({ '22.04/amd64': [2, 2, null], '22.04/arm64': [1, 1, null] });
    // The channel's own pointer agrees with from's: the revision clients naming no base get.
    expect(await resolveOn(url, 'candidate', null)).toMatchObject({ revision: { number: 2 } });
    expect(await resolveOn(url, 'candidate', on('22.04', 'arm64'))).toMatchObject({ revision: { number: 1 }, resources: [{ name: 'image', revision: 1 }] });
  });

  it('closes every platform of a channel at once, and each falls back on its own', async () => {
    const closed = await store.execute(CloseChannelsDocument, { input: { url, channels: ['stable', 'candidate'] } }, { token: kirk });
    expect(closed.data?.closeChannels.__typename).toBe('CloseChannelsSuccess');
    expect((await history(url, 'stable'))?.[0]).toEqual({ action: 'CLOSE', revision: null, bases: [ubuntu('22.04', 'amd64', 'arm64')], resources: [] });
    expect(await resolveOn(url, 'stable', on('22.04', 'amd64'))).toMatchObject({ __typename: 'NotFoundError' });
    expect(await resolveOn(url, 'stable', on('22.04', 'arm64'))).toMatchObject({ __typename: 'NotFoundError' });
    // edge still holds amd64; its arm64 fell back through candidate to stable, both closed now.
    expect(await resolveOn(url, 'edge', on('22.04', 'amd64'))).toMatchObject({ revision: { number: 2 } });
    expect(await resolveOn(url, 'edge', on('22.04', 'arm64'))).toMatchObject({
      __typename: 'NotFoundError',
      message: expect.stringContaining('tried latest/edge, latest/beta, latest/candidate, latest/stable'),
    });
    // The map lists the platforms some channel of the track still holds: only edge's amd64 now.
    expect(await channelBases(url, 'stable')).toEqual({ '22.04/amd64': [null, null, null] });
    expect(await channelBases(url, 'edge')).toEqual({ '22.04/amd64': [2, 2, null] });
  });

  it('refuses a malformed base with a ValidationError naming the field', async () => {
    const cases: Array<[{ name: string; channel: string; architecture: string }, string]> = [
      [{ name: '', channel: '22.04', architecture: 'amd64' }, 'base.name'],
      [{ name: 'ubuntu', channel: 'jammy', architecture: 'amd64' }, 'base.channel'],
      [{ name: 'ubuntu', channel: '22.04', architecture: 'AMD 64' }, 'base.architecture'],
    ];
    for (const [base, field] of cases) {
      expect(await resolveOn(url, 'edge', base)).toMatchObject({ __typename: 'ValidationError', field });
    }
  });
});

describe("a url's series segment in a channel map of several OS releases", () => {
  // Revision 0 runs on focal, 1 on jammy (two architectures), 2 on jammy arm64 only, 3 on noble arm64 only.
  const url = '~kirk/oses';
  const as = (series: string) => `cs:~kirk/${series}/oses`;

  beforeAll(async () => {
    await pushOk(store, kirk, charm('oses', [ubuntu('20.04', 'amd64')], 'focal'), url); // 0
    await pushOk(store, kirk, charm('oses', [ubuntu('22.04', 'amd64', 'arm64')], 'jammy'), url); // 1
    await pushOk(store, kirk, charm('oses', [ubuntu('22.04', 'arm64')], 'jammy arm64'), url); // 2
    await pushOk(store, kirk, charm('oses', [ubuntu('24.04', 'arm64')], 'noble arm64'), url); // 3
    await releaseOk(url, 0, ['stable']);
    await releaseOk(url, 1, ['stable']);
  });

  it('serves the revision released for the series, whichever was released last, and never one for another series', async () => {
    expect(await resolveOn(as('focal'), 'stable', null)).toMatchObject({ __typename: 'Resolution', revision: { number: 0 }, channel: 'latest/stable' });
    expect(await resolveOn(as('jammy'), 'stable', null)).toMatchObject({ __typename: 'Resolution', revision: { number: 1 }, channel: 'latest/stable' });
    // Without a series nor a base: the revision released last, as before channel maps.
    expect(await resolveOn(url, 'stable', null)).toMatchObject({ revision: { number: 1 } });
    // Falling back per platform: beta has nothing of its own, focal gets stable's focal revision.
    expect(await resolveOn(as('focal'), 'beta', null)).toMatchObject({ revision: { number: 0 }, channel: 'latest/stable' });
  });

  it('answers a series no entry serves with a NotFoundError naming the series, and a series the store does not know like one no revision declares', async () => {
    expect(await resolveOn(as('noble'), 'stable', null)).toEqual({
      __typename: 'NotFoundError',
      message:
        'Nothing you may deploy for series "noble" (ubuntu 24.04) is released in latest/stable of cs:~kirk/oses: tried latest/stable (closed, expired, never released or without that platform)',
    });
    expect(await resolveOn(as('wily'), 'stable', null)).toEqual({
      __typename: 'NotFoundError',
      message: 'latest/stable of cs:~kirk/oses serves revision 1, which does not run on series "wily" (it declares ubuntu@22.04); drop the series from the url to get it anyway',
    });
  });

  it('takes the default architecture (amd64) for a series, then the others the channel map holds for it', async () => {
    // edge: jammy arm64 gets revision 2; jammy amd64 still falls back to stable's revision 1.
    await releaseOk(url, 2, ['edge']);
    expect(await resolveOn(as('jammy'), 'edge', null)).toMatchObject({ revision: { number: 1 }, channel: 'latest/stable' });
    expect(await resolveOn(as('jammy'), 'edge', on('22.04', 'arm64'))).toMatchObject({ revision: { number: 2 }, channel: 'latest/edge' });
    // A series served to arm64 only is still found.
    await releaseOk(url, 3, ['stable']);
    expect(await resolveOn(as('noble'), 'stable', null)).toMatchObject({ __typename: 'Resolution', revision: { number: 3 } });
    expect(await resolveOn(as('focal'), 'stable', null)).toMatchObject({ revision: { number: 0 } });
  });

  it('refuses a base for another OS release than the series with a ValidationError, and accepts one that agrees', async () => {
    expect(await resolveOn(as('jammy'), 'stable', on('20.04', 'amd64'))).toEqual({
      __typename: 'ValidationError',
      field: 'base',
      message:
        '"cs:~kirk/jammy/oses" names series "jammy" (ubuntu 22.04) but base names ubuntu 20.04: give one platform, by dropping the series from the url or by giving the base of that series',
    });
    expect(await resolveOn(as('focal'), 'stable', on('20.04', 'amd64'))).toMatchObject({ revision: { number: 0 } });
  });

  it('refresh reads the series of each instance\'s url the same way', async () => {
    const result = await store.execute(
      RefreshDocument,
      {
        input: {
          instances: [
            { url: as('focal'), channel: 'stable', currentRevision: 1 },
            { url: as('jammy'), channel: 'stable', currentRevision: 0 },
            { url: as('bionic'), channel: 'stable' },
            { url: as('jammy'), channel: 'stable', base: on('20.04', 'amd64') },
          ],
        },
      },
      { token: kirk },
    );
    expect(result.data?.refresh).toEqual([
      expect.objectContaining({ __typename: 'Resolution', revision: { number: 0 }, action: 'DOWNGRADE' }),
      expect.objectContaining({ __typename: 'Resolution', revision: { number: 1 }, action: 'UPGRADE' }),
      { __typename: 'NotFoundError', message: expect.stringContaining('for series "bionic" (ubuntu 18.04)') },
      { __typename: 'ValidationError', field: 'base', message: expect.stringContaining('names series "jammy"') },
    ]);
  });
});

describe('branches per platform', () => {
  it('an expired branch released to again serves only the new platforms, not those it held before it expired', async () => {
    const url = '~kirk/twig';
    await pushOk(store, kirk, charm('twig', [ubuntu('22.04', 'amd64')], 'amd64'), url); // 0
    await pushOk(store, kirk, charm('twig', [ubuntu('22.04', 'arm64')], 'arm64'), url); // 1
    await pushOk(store, kirk, charm('twig', [ubuntu('22.04', 'amd64')], 'amd64 again'), url); // 2
    await releaseOk(url, 0, ['edge/fix']);
    await releaseOk(url, 1, ['edge/fix']);
    expect(await channelBases(url, 'edge/fix')).toEqual({ '22.04/amd64': [0, 0, null], '22.04/arm64': [1, 1, null] });
    const days31 = 31 * 24 * 3600 * 1000;
    store.clock.advance(days31);
    try {
      kirk = await login(store, 'kirk', 'kirk-password');
      expect(await resolveOn(url, 'edge/fix', on('22.04', 'arm64'))).toMatchObject({ __typename: 'NotFoundError' });
      // Expired, it holds nothing, and its platforms leave the track's map.
      expect(await channelBases(url, 'edge/fix')).toEqual({});
      await releaseOk(url, 2, ['edge/fix']);
      expect(await resolveOn(url, 'edge/fix', on('22.04', 'amd64'))).toMatchObject({ revision: { number: 2 }, channel: 'latest/edge/fix' });
      expect(await resolveOn(url, 'edge/fix', on('22.04', 'arm64'))).toMatchObject({ __typename: 'NotFoundError' });
    } finally {
      store.clock.advance(-days31);
      kirk = await login(store, 'kirk', 'kirk-password');
    }
  });
});

describe('channels released to before channel maps', () => {
  it('keep serving their revision to every other platform, as an entry, when a release into several channels at once gives one platform its own', async () => {
    const url = '~kirk/elder';
    await pushOk(store, kirk, charm('elder', [ubuntu('22.04', 'amd64')], 'amd64'), url); // 0
    await pushOk(store, kirk, charm('elder', [ubuntu('22.04', 'arm64')], 'arm64'), url); // 1
    await releaseOk(url, 0, ['stable', 'edge']);
    // As a store written before channel maps left them: the pointer and its history, no entries.
    const prisma = store.database.db.prisma;
    await prisma.channelBase.deleteMany({ where: { channel: { entity: { name: 'elder' } } } });
    await releaseOk(url, 1, ['stable', 'edge']);
    for (const channel of ['stable', 'edge']) {
      expect(await channelBases(url, channel)).toEqual({ any: [0, 0, null], '22.04/arm64': [1, 1, null] });
      expect(await resolveOn(url, channel, on('22.04', 'amd64'))).toMatchObject({ revision: { number: 0 } });
      expect(await resolveOn(url, channel, on('22.04', 'arm64'))).toMatchObject({ revision: { number: 1 } });
      expect((await history(url, channel))?.map((entry) => entry.revision)).toEqual([1, 0]);
    }
  });
});

describe('charms without architectures, and bundles', () => {
  it('serves a series-era charm ("all" architectures) to every architecture of its bases, and a newer amd64 build only to amd64', async () => {
    const url = '~kirk/oldie';
    await pushOk(store, kirk, buildZip([
      { name: 'metadata.yaml', data: JSON.stringify({ name: 'oldie', summary: 'Old', description: 'Old.', series: ['focal', 'jammy'] }) },
      { name: 'hooks/install', data: '#!/bin/sh\n', mode: 0o100755 },
    ]), url);
    await pushOk(store, kirk, charm('oldie', [ubuntu('22.04', 'amd64')], 'new'), url);
    await releaseOk(url, 0, ['stable']);
    await releaseOk(url, 1, ['stable']);
    expect(await resolveOn(url, 'stable', on('22.04', 'amd64'))).toMatchObject({ revision: { number: 1 } });
    expect(await resolveOn(url, 'stable', on('22.04', 'arm64'))).toMatchObject({ revision: { number: 0 } });
    expect(await resolveOn(url, 'stable', on('20.04', 'riscv64'))).toMatchObject({ revision: { number: 0 } });
    expect(await channelBases(url, 'stable')).toEqual({ '20.04/all': [0, 0, null], '22.04/all': [0, 0, null], '22.04/amd64': [1, 1, null] });
    // Releasing the "all" revision again takes back every architecture of its bases.
    await releaseOk(url, 0, ['stable']);
    expect(await channelBases(url, 'stable')).toEqual({ '20.04/all': [0, 0, null], '22.04/all': [0, 0, null] });
    expect(await resolveOn(url, 'stable', on('22.04', 'amd64'))).toMatchObject({ revision: { number: 0 } });
  });

  it('serves a bundle (no bases) to any platform, as one entry with no base', async () => {
    const url = '~kirk/bundle/wiki';
    await pushOk(store, kirk, bundleZip({}), url);
    await releaseOk(url, 0, ['stable']);
    expect(await resolveOn(url, 'stable', on('24.04', 'arm64'))).toMatchObject({ __typename: 'Resolution', revision: { number: 0 } });
    expect(await channelBases(url, 'stable')).toEqual({ any: [0, 0, null] });
    expect(await history(url, 'stable')).toEqual([{ action: 'RELEASE', revision: 0, bases: [], resources: [] }]);
  });
});

describe('a real multi-base charm released per build', () => {
  // kubernetes-worker builds once per architecture; each build runs on ubuntu 22.04 and 24.04 (its charmcraft.yaml).
  const url = '~kirk/kubernetes-worker';
  const builds = ['amd64', 'arm64', 's390x'];

  it('holds one entry per base and architecture, each build serving its own', async () => {
    const charmcraft = await fs.readFile(path.join(REAL, 'kubernetes-worker', 'charmcraft.yaml'));
    for (const architecture of builds) {
      await pushOk(store, kirk, buildZip([
        { name: 'charmcraft.yaml', data: charmcraft },
        { name: 'manifest.yaml', data: manifest([ubuntu('22.04', architecture), ubuntu('24.04', architecture)]) },
        { name: 'dispatch', data: '#!/bin/sh\n', mode: 0o100755 },
      ]), url);
    }
    for (const content of builds) await pushResource(url, 'cni-plugins', `cni for ${content}`);
    for (const [index] of builds.entries()) await releaseOk(url, index, ['stable'], [{ name: 'cni-plugins', revision: index }]);

    expect(await channelBases(url, 'stable')).toEqual({
      '22.04/amd64': [0, 0, null], '22.04/arm64': [1, 1, null], '22.04/s390x': [2, 2, null],
      '24.04/amd64': [0, 0, null], '24.04/arm64': [1, 1, null], '24.04/s390x': [2, 2, null],
    });
    for (const [index, architecture] of builds.entries()) {
      for (const channel of ['22.04', '24.04']) {
        expect(await resolveOn(url, 'stable', on(channel, architecture))).toMatchObject({
          revision: { number: index },
          resources: [{ name: 'cni-plugins', revision: index }],
        });
      }
    }
    // A new arm64 build to edge, promoted to stable, replaces only arm64.
    await pushOk(store, kirk, buildZip([
      { name: 'charmcraft.yaml', data: charmcraft },
      { name: 'manifest.yaml', data: manifest([ubuntu('22.04', 'arm64'), ubuntu('24.04', 'arm64')]) },
      { name: 'dispatch', data: '#!/bin/sh\necho 2\n', mode: 0o100755 },
    ]), url);
    await releaseOk(url, 3, ['edge'], [{ name: 'cni-plugins', revision: 1 }]);
    const promoted = await store.execute(PromoteBasesDocument, { input: { url, from: 'edge', to: ['stable'] } }, { token: kirk });
    // edge holds only arm64 itself; amd64 and s390x come from stable (fall-back) and are re-released as they are.
    expect(promoted.data?.promote).toMatchObject({ __typename: 'PromoteSuccess', from: 'latest/edge' });
    expect(await channelBases(url, 'stable')).toEqual({
      '22.04/amd64': [0, 0, null], '22.04/arm64': [3, 3, null], '22.04/s390x': [2, 2, null],
      '24.04/amd64': [0, 0, null], '24.04/arm64': [3, 3, null], '24.04/s390x': [2, 2, null],
    });
  });
});

describe('resource revisions for some architectures', () => {
  const url = '~kirk/imaged';
  const oci = { image: { type: 'file', description: 'The workload image' } };
  const setArchitectures = (input: { url: string; name: string; revision: number; architectures: string[] }) =>
    store.execute(SetResourceArchitecturesDocument, { input }, { token: kirk });
  const release = (revision: number, resources?: Array<{ name: string; revision: number }>) =>
    store.execute(ReleasePinsDocument, { input: { url, revision, channels: ['stable'], resources } }, { token: kirk });

  beforeAll(async () => {
    await pushOk(store, kirk, charm('imaged', [ubuntu('22.04', 'amd64')], 'amd64', oci), url); // 0
    await pushOk(store, kirk, charm('imaged', [ubuntu('22.04', 'arm64')], 'arm64', oci), url); // 1
    await pushResource(url, 'image', 'amd64 image'); // 0
    await pushResource(url, 'image', 'arm64 image'); // 1
  });

  it('records the architectures a resource revision is for, and pins by default the newest one fitting each build', async () => {
    expect((await setArchitectures({ url, name: 'image', revision: 0, architectures: ['amd64'] })).data?.setResourceArchitectures).toEqual({
      __typename: 'SetResourceArchitecturesSuccess',
      resourceRevision: { name: 'image', revision: 0, architectures: ['amd64'] },
    });
    await setArchitectures({ url, name: 'image', revision: 1, architectures: ['arm64'] });
    expect((await release(0)).data?.release).toMatchObject({ releases: [{ revision: { number: 0 }, resources: [{ name: 'image', revision: 0, architectures: ['amd64'] }] }] });
    expect((await release(1)).data?.release).toMatchObject({ releases: [{ revision: { number: 1 }, resources: [{ name: 'image', revision: 1, architectures: ['arm64'] }] }] });
    expect(await resolveOn(url, 'stable', on('22.04', 'amd64'))).toMatchObject({ revision: { number: 0 }, resources: [{ name: 'image', revision: 0 }] });
    expect(await resolveOn(url, 'stable', on('22.04', 'arm64'))).toMatchObject({ revision: { number: 1 }, resources: [{ name: 'image', revision: 1 }] });
  });

  it('refuses to pin a resource revision made for other architectures, and changes nothing', async () => {
    await expectStoreUnchanged(store, async () => {
      expect((await release(0, [{ name: 'image', revision: 1 }])).data?.release).toEqual({
        __typename: 'ValidationError',
        field: 'resources',
        message: 'Resource "image" revision 1 is for arm64, but cs:~kirk/imaged-0 runs on amd64: pin a revision for those architectures, or change its architectures with setResourceArchitectures',
      });
    });
  });

  it('refuses bad architectures and unknown revisions with typed errors, changing nothing', async () => {
    await expectStoreUnchanged(store, async () => {
      expect((await setArchitectures({ url, name: 'image', revision: 0, architectures: ['AMD 64'] })).data?.setResourceArchitectures).toMatchObject({
        __typename: 'ValidationError',
        field: 'architectures',
      });
      expect((await setArchitectures({ url, name: 'image', revision: 0, architectures: ['all'] })).data?.setResourceArchitectures).toMatchObject({
        __typename: 'ValidationError',
        field: 'architectures',
      });
      expect((await setArchitectures({ url, name: 'image', revision: 7, architectures: ['amd64'] })).data?.setResourceArchitectures).toMatchObject({
        __typename: 'NotFoundError',
        message: 'cs:~kirk/imaged has no revision 7 of resource "image"',
      });
      expect((await setArchitectures({ url, name: 'nope', revision: 0, architectures: [] })).data?.setResourceArchitectures).toMatchObject({ __typename: 'NotFoundError' });
    });
  });

  it('lets only those who may push resources set architectures', async () => {
    const spock = await createUserAndLogin(store, await loginAdmin(store), 'spock');
    const result = await store.execute(SetResourceArchitecturesDocument, { input: { url, name: 'image', revision: 0, architectures: [] } }, { token: spock });
    expect(['NotFoundError', 'PermissionDeniedError']).toContain(result.data?.setResourceArchitectures.__typename);
  });
});

describe('bad input changes nothing', () => {
  it('a promote from a channel serving nothing is refused and writes nothing', async () => {
    const url = '~kirk/empty';
    await pushOk(store, kirk, charm('empty', [ubuntu('22.04', 'amd64')], 'x'), url);
    await expectStoreUnchanged(store, async () => {
      const result = await store.execute(PromoteBasesDocument, { input: { url, from: 'edge', to: ['stable'] } }, { token: kirk });
      expect(result.data?.promote).toMatchObject({ __typename: 'NotFoundError', message: expect.stringContaining('Nothing is released in latest/edge') });
    });
    const plain = await store.execute(ResolveDocument, { url, channel: 'stable' }, { token: kirk });
    expect(plain.data?.resolve.__typename).toBe('NotFoundError');
  });
});
