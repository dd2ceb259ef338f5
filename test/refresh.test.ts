import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RefreshDocument, type RefreshInstanceInput, ReleaseDocument, ResolveInstanceDocument } from './generated/graphql.js';
import { createUserAndLogin, loginAdmin } from './support/accounts.js';
import { pushOk } from './support/push.js';
import { registerEntity } from './support/sharing.js';
import { withStatements } from './support/statements.js';
import { createTestStore, type TestStore } from './support/store.js';
import { charmZip } from './support/zip.js';

let store: TestStore;
let kirk: string;
let spock: string;

const AMD64 = { name: 'ubuntu', channel: '22.04', architecture: 'amd64' };
const CHARMS = ['web', 'db', 'cache', 'queue', 'proxy'];

async function releaseOk(token: string, url: string, revision: number, channels: string[], percentage?: number) {
  const result = await store.execute(ReleaseDocument, { input: { url, revision, channels, progressive: percentage ? { percentage } : undefined } }, { token });
  if (result.data?.release.__typename !== 'ReleaseSuccess') throw new Error(`release failed: ${JSON.stringify(result)}`);
}

beforeAll(async () => {
  store = await createTestStore({ settings: { maxRefreshInstances: 500 } });
  const admin = await loginAdmin(store);
  kirk = await createUserAndLogin(store, admin, 'kirk');
  spock = await createUserAndLogin(store, admin, 'spock');
  for (const name of CHARMS) {
    await registerEntity(store, kirk, name, { private: false });
    for (const note of ['a', 'b']) await pushOk(store, kirk, charmZip({ name, revisionNote: note }), `~kirk/${name}`);
    await releaseOk(kirk, `cs:~kirk/${name}`, 0, ['stable']);
    await releaseOk(kirk, `cs:~kirk/${name}`, 1, ['edge']);
  }
  // A rollout in progress: refresh decides it per instance key like resolve.
  await releaseOk(kirk, 'cs:~kirk/web', 1, ['stable'], 30);
  await registerEntity(store, spock, 'secret', { private: true });
  await pushOk(store, spock, charmZip({ name: 'secret' }), '~spock/secret');
  await releaseOk(spock, 'cs:~spock/secret', 0, ['stable']);
});
afterAll(() => store.close());

const refresh = (instances: RefreshInstanceInput[], token?: string) => store.execute(RefreshDocument, { input: { instances } }, { token });

/** 500 instances of five charms, on several channels, with and without base, key and current revision. */
function manyInstances(): RefreshInstanceInput[] {
  return Array.from({ length: 500 }, (_, index) => ({
    url: `cs:~kirk/${CHARMS[index % CHARMS.length]}`,
    channel: ['stable', 'edge', 'beta', undefined][index % 4],
    base: index % 3 === 0 ? AMD64 : undefined,
    currentRevision: index % 2,
    instanceKey: `model-${index}/app`,
  }));
}

describe('refresh', () => {
  it('answers per instance, in order, what resolve would, errors included', async () => {
    const instances: RefreshInstanceInput[] = [
      { url: 'cs:~kirk/db', channel: 'edge', currentRevision: 0 },
      { url: 'cs:~kirk/missing' },
      { url: 'cs:~spock/secret' },
      { url: 'cs:~kirk/db-3' },
      { url: 'cs:~kirk/db', channel: 'beta', base: AMD64, currentRevision: 1 },
      { url: 'cs:~kirk/db', base: { name: 'ubuntu', channel: '22.04', architecture: 's390x' } },
      { url: 'cs:~kirk/web', instanceKey: '' },
    ];
    const result = await refresh(instances, kirk);
    expect(result.errors).toBeUndefined();
    const answers = result.data!.refresh;
    expect(answers.map((answer) => answer.__typename)).toEqual(['Resolution', 'NotFoundError', 'NotFoundError', 'ValidationError', 'Resolution', 'NotFoundError', 'ValidationError']);
    expect(answers[0]).toMatchObject({ revision: { number: 1 }, channel: 'latest/edge', requestedChannel: 'latest/edge', action: 'UPGRADE', downloadUrl: '/archives/~kirk/db/1?channel=latest%2Fedge' });
    expect(answers[4]).toMatchObject({ revision: { number: 0 }, channel: 'latest/stable', requestedChannel: 'latest/beta', action: 'DOWNGRADE' });
    expect(answers[6]).toMatchObject({ field: 'instanceKey' });
    // Exactly what resolve answers, one by one; a private entity is as missing as a missing one.
    for (const [index, instance] of instances.entries()) {
      const single = await store.execute(ResolveInstanceDocument, { url: instance.url, channel: instance.channel, base: instance.base, instanceKey: instance.instanceKey }, { token: kirk });
      expect(single.data!.resolve.__typename).toBe(answers[index]!.__typename);
      if ('message' in single.data!.resolve && 'message' in answers[index]!) {
        expect(answers[index]!.message).toBe(single.data!.resolve.message.replace('cs:~kirk/secret', 'cs:~spock/secret'));
      }
    }
    const missing = answers[1] as { message: string };
    expect((answers[2] as { message: string }).message).toBe(missing.message.replace('~kirk/missing', '~spock/secret'));
    // The owner of the private charm gets it.
    const owner = await refresh([{ url: 'cs:~spock/secret' }], spock);
    expect(owner.data!.refresh[0]).toMatchObject({ __typename: 'Resolution', revision: { number: 0 } });
  });

  it('decides progressive releases per instance key, like resolve', async () => {
    const instances = Array.from({ length: 200 }, (_, index) => ({ url: 'cs:~kirk/web', instanceKey: `model-${index}/web` }));
    const answers = (await refresh(instances)).data!.refresh;
    const numbers = answers.map((answer) => (answer.__typename === 'Resolution' ? answer.revision.number : null));
    expect(numbers.filter((number) => number === 1).length).toBeGreaterThan(30);
    expect(numbers.filter((number) => number === 0).length).toBeGreaterThan(100);
    for (const index of [0, 1, 2, 3, 4, 5, 6, 7]) {
      const single = await store.execute(ResolveInstanceDocument, { url: 'cs:~kirk/web', instanceKey: `model-${index}/web` });
      expect(single.data!.resolve).toMatchObject({ revision: { number: numbers[index] } });
    }
  });

  it('costs as many SQL statements for 500 instances as for 1', async () => {
    // The first request of a token in a while also records its use; keep that out of the counts.
    await refresh([{ url: 'cs:~kirk/web' }], kirk);
    const count = async (instances: RefreshInstanceInput[]) => {
      const { result, statements } = await withStatements(store, () => refresh(instances, kirk));
      expect(result.errors).toBeUndefined();
      expect(result.data!.refresh).toHaveLength(instances.length);
      expect(result.data!.refresh.every((answer) => answer.__typename === 'Resolution')).toBe(true);
      return statements.length;
    };
    const many = manyInstances();
    // A platform's pins come from the release that set its entry, the others' from their channel: one statement each kind.
    const withBase = many.map((instance) => ({ ...instance, base: AMD64 }));
    const oneWithBase = await count(withBase.slice(0, 1));
    expect(await count(withBase)).toBe(oneWithBase);
    expect(oneWithBase).toBeLessThanOrEqual(6);
    // Mixed: as many as for two instances, one of each kind.
    const two = await count([withBase[0]!, { url: 'cs:~kirk/db', channel: 'edge' }]);
    expect(await count(many)).toBe(two);
    expect(two).toBe(oneWithBase + 1);
  });

  it('refuses more instances than the limit, and takes none of them', async () => {
    const result = await refresh([...manyInstances(), { url: 'cs:~kirk/web' }], kirk);
    expect(result.data ?? null).toBeNull();
    expect(result.errors?.[0]?.message).toContain('501 instances are more than one refresh may ask about (500)');
    expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});
