import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ChannelProgressDocument,
  CloseChannelsDocument,
  PromoteDocument,
  PushResourceDocument,
  RefreshDocument,
  ReleaseDocument,
  ResolveInstanceDocument,
  UpdateProgressiveDocument,
} from './generated/graphql.js';
import { createUserAndLogin, loginAdmin } from './support/accounts.js';
import { expectStoreUnchanged, pushOk } from './support/push.js';
import { createTestStore, type TestStore } from './support/store.js';
import { charmZip } from './support/zip.js';

let store: TestStore;
let kirk: string;
let spock: string;

const URL = 'cs:~kirk/web';
const keys = Array.from({ length: 1000 }, (_, index) => `model-${index}/web`);
const AMD64 = { name: 'ubuntu', channel: '22.04', architecture: 'amd64' };

async function release(revision: number, channels: string[], percentage?: number) {
  return store.execute(ReleaseDocument, { input: { url: URL, revision, channels, progressive: percentage === undefined ? undefined : { percentage } } }, { token: kirk });
}

async function releaseOk(revision: number, channels: string[], percentage?: number) {
  const result = await release(revision, channels, percentage);
  if (result.data?.release.__typename !== 'ReleaseSuccess') throw new Error(`release failed: ${JSON.stringify(result)}`);
}

const update = (input: { channels: string[]; percentage?: number; cancel?: boolean }, token = kirk) =>
  store.execute(UpdateProgressiveDocument, { input: { url: URL, ...input } }, { token });

async function served(instanceKey: string | undefined, channel = 'stable', base?: typeof AMD64): Promise<number | null> {
  const result = await store.execute(ResolveInstanceDocument, { url: URL, channel, instanceKey, base }, { token: kirk });
  const resolution = result.data?.resolve;
  if (resolution?.__typename === 'Resolution') return resolution.revision.number;
  if (resolution?.__typename === 'NotFoundError') return null;
  throw new Error(`resolve failed: ${JSON.stringify(result)}`);
}

/** The revision each of the 1000 instances gets, by key (two refresh calls of 500). */
async function servedToAll(channel = 'stable', base?: typeof AMD64): Promise<Map<string, number | null>> {
  const answers = new Map<string, number | null>();
  for (const batch of [keys.slice(0, 500), keys.slice(500)]) {
    const result = await store.execute(RefreshDocument, { input: { instances: batch.map((instanceKey) => ({ url: URL, channel, base, instanceKey })) } }, { token: kirk });
    if (!result.data) throw new Error(`refresh failed: ${JSON.stringify(result.errors)}`);
    result.data.refresh.forEach((answer, index) => answers.set(batch[index]!, answer.__typename === 'Resolution' ? answer.revision.number : null));
  }
  return answers;
}

const count = (answers: Map<string, number | null>, revision: number | null) => [...answers.values()].filter((value) => value === revision).length;

async function progress(name = 'stable') {
  const result = await store.execute(ChannelProgressDocument, { url: URL, name }, { token: kirk });
  return result.data!.entity!.channel!;
}

beforeAll(async () => {
  store = await createTestStore();
  const admin = await loginAdmin(store);
  kirk = await createUserAndLogin(store, admin, 'kirk');
  spock = await createUserAndLogin(store, admin, 'spock');
  const resources = { config: { type: 'file', description: 'Configuration' } };
  for (const note of ['a', 'b', 'c']) await pushOk(store, kirk, charmZip({ name: 'web', resources, revisionNote: note }), '~kirk/web');
  for (const content of ['one', 'two']) {
    const pushed = await store.executeMultipart(
      PushResourceDocument,
      { input: { url: URL, name: 'config', file: null } },
      { 'input.file': new File([new Uint8Array(Buffer.from(content))], 'config') },
      { token: kirk },
    );
    expect(pushed.data?.pushResource.__typename).toBe('PushResourceSuccess');
  }
  const pinned = await store.execute(ReleaseDocument, { input: { url: URL, revision: 0, channels: ['stable'], resources: [{ name: 'config', revision: 0 }] } }, { token: kirk });
  expect(pinned.data?.release.__typename).toBe('ReleaseSuccess');
});
afterAll(() => store.close());

describe('progressive releases', () => {
  let atTwenty: Map<string, number | null>;

  it('serves the new revision to the asked share of 1000 instances and the previous one, with its pins, to the rest', async () => {
    await releaseOk(1, ['stable'], 20);
    atTwenty = await servedToAll();
    expect(count(atTwenty, 1) + count(atTwenty, 0)).toBe(1000);
    expect(count(atTwenty, 1)).toBeGreaterThanOrEqual(150);
    expect(count(atTwenty, 1)).toBeLessThanOrEqual(250);
    // Every request decides the same way, resolve like refresh, and the platform's map entry like the channel's own pointer.
    expect(await servedToAll('stable', AMD64)).toEqual(atTwenty);
    for (const key of keys.slice(0, 20)) expect(await served(key)).toBe(atTwenty.get(key));
    const outside = keys.find((key) => atTwenty.get(key) === 0)!;
    const old = await store.execute(ResolveInstanceDocument, { url: URL, channel: 'stable', instanceKey: outside }, { token: kirk });
    expect(old.data?.resolve).toMatchObject({ revision: { number: 0 }, resources: [{ name: 'config', revision: 0 }] });
  });

  it('serves instances without a key the previous revision until the rollout completes', async () => {
    expect(await served(undefined)).toBe(0);
    expect(await served(undefined, 'stable', AMD64)).toBe(0);
  });

  it('shows the rollout on the channel, its platforms and its history', async () => {
    const channel = await progress();
    expect(channel.revision).toEqual({ number: 1 });
    expect(channel.progressive).toEqual({ percentage: 20, revision: { number: 1 }, previousRevision: { number: 0 } });
    expect(channel.bases).toEqual([{ base: { architectures: ['amd64'] }, progressive: { percentage: 20, revision: { number: 1 }, previousRevision: { number: 0 } } }]);
    expect(channel.history.edges.map((edge) => edge.node)).toEqual([
      { action: 'RELEASE', revision: { number: 1 }, progressivePercentage: 20 },
      { action: 'RELEASE', revision: { number: 0 }, progressivePercentage: null },
    ]);
  });

  it('refuses bad percentages with a typed error and changes nothing', async () => {
    for (const percentage of [0, 101, -1]) {
      await expectStoreUnchanged(store, async () => {
        const refused = await release(2, ['stable'], percentage);
        expect(refused.data?.release).toMatchObject({ __typename: 'ValidationError', field: 'progressive.percentage' });
        const moved = await update({ channels: ['stable'], percentage });
        expect(moved.data?.updateProgressive).toMatchObject({ __typename: 'ValidationError', field: 'percentage' });
      });
    }
    const both = await update({ channels: ['stable'], percentage: 50, cancel: true });
    expect(both.data?.updateProgressive).toMatchObject({ __typename: 'ValidationError', message: expect.stringContaining('either percentage') });
    const none = await update({ channels: ['edge'], percentage: 50 });
    expect(none.data?.updateProgressive).toMatchObject({ __typename: 'ValidationError', message: expect.stringContaining('no progressive release in progress') });
    const stranger = await update({ channels: ['stable'], percentage: 50 }, spock);
    expect(stranger.data?.updateProgressive.__typename).toBe('NotFoundError');
    expect((await progress()).progressive?.percentage).toBe(20);
  });

  it('keeps every instance that had the revision as the percentage rises', async () => {
    const moved = await update({ channels: ['stable'], percentage: 50 });
    expect(moved.data?.updateProgressive).toEqual({
      __typename: 'UpdateProgressiveSuccess',
      releases: [{ channel: 'latest/stable', action: 'RELEASE', revision: { number: 1 }, progressivePercentage: 50 }],
    });
    const atFifty = await servedToAll();
    expect(keys.filter((key) => atTwenty.get(key) === 1 && atFifty.get(key) !== 1)).toEqual([]);
    expect(count(atFifty, 1)).toBeGreaterThanOrEqual(450);
    expect(count(atFifty, 1)).toBeLessThanOrEqual(550);
    expect((await progress()).progressive).toMatchObject({ percentage: 50 });
    const audited = await store.database.db.prisma.auditEvent.findFirstOrThrow({ where: { action: 'update-progressive' }, orderBy: { id: 'desc' } });
    expect(audited.after).toEqual({ channels: ['latest/stable'], percentage: 50, cancelled: false });
  });

  it('completes: every instance, with a key or not, gets the revision', async () => {
    await update({ channels: ['stable'], percentage: 100 });
    expect(count(await servedToAll(), 1)).toBe(1000);
    expect(await served(undefined)).toBe(1);
    const channel = await progress();
    expect(channel.progressive).toBeNull();
    expect(channel.bases[0]!.progressive).toBeNull();
    expect(channel.history.edges[0]!.node).toEqual({ action: 'RELEASE', revision: { number: 1 }, progressivePercentage: 100 });
  });

  it('cancels: every instance gets what the rollout replaced again', async () => {
    await releaseOk(2, ['stable'], 30);
    const during = await servedToAll();
    expect(count(during, 2)).toBeGreaterThan(200);
    const cancelled = await update({ channels: ['stable'], cancel: true });
    expect(cancelled.data?.updateProgressive).toMatchObject({ releases: [{ action: 'RELEASE', revision: { number: 1 }, progressivePercentage: null }] });
    expect(count(await servedToAll(), 1)).toBe(1000);
    expect((await progress()).progressive).toBeNull();
    const audited = await store.database.db.prisma.auditEvent.findFirstOrThrow({ where: { action: 'update-progressive' }, orderBy: { id: 'desc' } });
    expect(audited.after).toEqual({ channels: ['latest/stable'], percentage: null, cancelled: true });
  });

  it('a rollout into a channel that served nothing leaves the other instances falling back to a more stable one', async () => {
    await releaseOk(2, ['candidate'], 40);
    const answers = await servedToAll('candidate');
    expect(count(answers, 2) + count(answers, 1)).toBe(1000);
    expect(count(answers, 2)).toBeGreaterThan(300);
    expect((await progress('candidate')).progressive).toEqual({ percentage: 40, revision: { number: 2 }, previousRevision: null });
    await update({ channels: ['candidate'], cancel: true });
    expect(count(await servedToAll('candidate'), 1)).toBe(1000);
  });

  it('a release to everyone replaces a rollout in progress', async () => {
    await releaseOk(2, ['beta'], 10);
    await releaseOk(0, ['beta']);
    expect(count(await servedToAll('beta'), 0)).toBe(1000);
    expect((await progress('beta')).progressive).toBeNull();
  });
});

describe('promote during a progressive rollout', () => {
  // Its own charm, so the rollouts above are not disturbed: revision 0 everywhere, 1 being rolled out to edge.
  const ROLL = 'cs:~kirk/roll';
  const releaseRoll = async (revision: number, channels: string[], percentage?: number) => {
    const result = await store.execute(ReleaseDocument, { input: { url: ROLL, revision, channels, progressive: percentage === undefined ? undefined : { percentage } } }, { token: kirk });
    if (result.data?.release.__typename !== 'ReleaseSuccess') throw new Error(`release failed: ${JSON.stringify(result)}`);
  };
  const promote = (from: string, to: string[]) => store.execute(PromoteDocument, { input: { url: ROLL, from, to } }, { token: kirk });
  const channel = async (name: string) => (await store.execute(ChannelProgressDocument, { url: ROLL, name }, { token: kirk })).data!.entity!.channel!;
  const historyOf = async (name: string) => (await channel(name)).history.edges.map(({ node }) => [node.action, node.revision?.number ?? null, node.progressivePercentage]);
  const servedBy = async (name: string, instanceKey?: string) => {
    const result = await store.execute(ResolveInstanceDocument, { url: ROLL, channel: name, instanceKey }, { token: kirk });
    return result.data?.resolve.__typename === 'Resolution' ? result.data.resolve.revision.number : null;
  };

  beforeAll(async () => {
    for (const note of ['a', 'b']) await pushOk(store, kirk, charmZip({ name: 'roll', revisionNote: note }), '~kirk/roll');
    await releaseRoll(0, ['stable', 'candidate', 'beta', 'edge']);
    await releaseRoll(1, ['edge'], 20);
  });

  it('refuses to promote from a channel with a rollout in progress, naming it, and changes nothing', async () => {
    const before = await historyOf('beta');
    await expectStoreUnchanged(store, async () => {
      const result = await promote('edge', ['beta']);
      expect(result.data?.promote).toEqual({
        __typename: 'ValidationError',
        field: 'from',
        message:
          'latest/edge is rolling out revision 1 for ubuntu 22.04/amd64 to 20% of instances (the others get revision 0) of cs:~kirk/roll, so it serves two revisions and promote cannot copy one: complete the rollout (updateProgressive with percentage: 100) or cancel it first, or release revision 1 to the targets with progressive: {percentage: 20}',
      });
    });
    // The target was not widened: nobody in beta gets revision 1, and its history is as it was.
    expect(await historyOf('beta')).toEqual(before);
    expect(await servedBy('beta', keys[0])).toBe(0);
    const inRollout = await Promise.all(keys.slice(0, 50).map((key) => servedBy('edge', key)));
    const reached = keys.slice(0, 50).find((_, index) => inRollout[index] === 1)!;
    expect(reached).toBeDefined();
    expect(await servedBy('beta', reached)).toBe(0);
  });

  it('refuses as well when from falls back to a channel with a rollout in progress', async () => {
    await releaseRoll(1, ['stable'], 10);
    const closed = await store.execute(CloseChannelsDocument, { input: { url: ROLL, channels: ['candidate'] } }, { token: kirk });
    expect(closed.data?.closeChannels.__typename).toBe('CloseChannelsSuccess');
    await expectStoreUnchanged(store, async () => {
      const result = await promote('candidate', ['beta']);
      expect(result.data?.promote).toMatchObject({ __typename: 'ValidationError', field: 'from', message: expect.stringContaining('latest/stable is rolling out revision 1 for ubuntu 22.04/amd64 to 10%') });
    });
    const cancelled = await store.execute(UpdateProgressiveDocument, { input: { url: ROLL, channels: ['stable'], cancel: true } }, { token: kirk });
    expect(cancelled.data?.updateProgressive.__typename).toBe('UpdateProgressiveSuccess');
  });

  it('promoting into a channel with a rollout in progress replaces the rollout, as any release to everyone does', async () => {
    await releaseRoll(1, ['beta'], 30);
    expect((await channel('beta')).progressive).toMatchObject({ percentage: 30, revision: { number: 1 } });
    const result = await promote('stable', ['beta']);
    expect(result.data?.promote).toMatchObject({ __typename: 'PromoteSuccess', from: 'latest/stable', releases: [{ channel: 'latest/beta', revision: { number: 0 } }] });
    const beta = await channel('beta');
    expect(beta.progressive).toBeNull();
    expect(beta.revision).toEqual({ number: 0 });
    expect((await historyOf('beta')).slice(0, 2)).toEqual([
      ['RELEASE', 0, null],
      ['RELEASE', 1, 30],
    ]);
    for (const key of keys.slice(0, 20)) expect(await servedBy('beta', key)).toBe(0);
  });

  it('promotes the revision to everyone once the rollout is completed, as an ordinary history entry', async () => {
    const completed = await store.execute(UpdateProgressiveDocument, { input: { url: ROLL, channels: ['edge'], percentage: 100 } }, { token: kirk });
    expect(completed.data?.updateProgressive.__typename).toBe('UpdateProgressiveSuccess');
    const result = await promote('edge', ['beta']);
    expect(result.data?.promote).toMatchObject({ __typename: 'PromoteSuccess', from: 'latest/edge', releases: [{ channel: 'latest/beta', revision: { number: 1 } }] });
    expect((await historyOf('beta'))[0]).toEqual(['RELEASE', 1, null]);
    expect((await channel('beta')).progressive).toBeNull();
    expect(await servedBy('beta')).toBe(1);
    expect(await servedBy('beta', keys[0])).toBe(1);
  });
});
