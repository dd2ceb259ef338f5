import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReleaseDocument, SearchPublishedDocument, type SearchPublishedQueryVariables } from './generated/graphql.js';
import { createUserAndLogin, loginAdmin } from './support/accounts.js';
import { pushOk } from './support/push.js';
import { registerEntity } from './support/sharing.js';
import { createTestStore, type TestStore } from './support/store.js';
import { buildZip } from './support/zip.js';

let store: TestStore;
let kirk: string;
let spock: string;

interface CharmSpec {
  name: string;
  summary?: string;
  provides?: Record<string, string>;
  requires?: Record<string, string>;
  /** manifest.yaml bases; none: the metadata's series stand for them. */
  bases?: Array<{ name: string; channel: string; architectures: string[] }>;
  series?: string[];
  note?: string;
}

function charm(spec: CharmSpec): Buffer {
  const relations = (map: Record<string, string> | undefined) => (map ? Object.fromEntries(Object.entries(map).map(([endpoint, iface]) => [endpoint, { interface: iface }])) : undefined);
  const metadata = {
    name: spec.name,
    summary: spec.summary ?? `The ${spec.name} charm`,
    description: `Deploys ${spec.name}. ${spec.note ?? ''}`,
    ...(spec.series ? { series: spec.series } : {}),
    ...(spec.provides ? { provides: relations(spec.provides) } : {}),
    ...(spec.requires ? { requires: relations(spec.requires) } : {}),
  };
  return buildZip([
    { name: 'metadata.yaml', data: JSON.stringify(metadata) },
    ...(spec.bases ? [{ name: 'manifest.yaml', data: JSON.stringify({ bases: spec.bases }) }] : []),
    { name: 'hooks/install', data: `#!/bin/sh\necho ${spec.note ?? 'first'}\n`, mode: 0o100755 },
  ]);
}

async function publish(token: string, url: string, spec: CharmSpec, channels = ['stable']) {
  const pushed = await pushOk(store, token, charm(spec), url);
  const released = await store.execute(ReleaseDocument, { input: { url, revision: pushed.revision.number, channels } }, { token });
  if (released.data?.release.__typename !== 'ReleaseSuccess') throw new Error(`release failed: ${JSON.stringify(released)}`);
}

const jammy = (...architectures: string[]) => [{ name: 'ubuntu', channel: '22.04', architectures }];

beforeAll(async () => {
  store = await createTestStore();
  const admin = await loginAdmin(store);
  kirk = await createUserAndLogin(store, admin, 'kirk');
  spock = await createUserAndLogin(store, admin, 'spock');

  await registerEntity(store, kirk, 'postgresql', { private: false });
  await publish(kirk, 'cs:~kirk/postgresql', { name: 'postgresql', summary: 'PostgreSQL database', provides: { db: 'pgsql', metrics: 'prometheus_scrape' }, bases: jammy('amd64', 'arm64') });
  await registerEntity(store, kirk, 'wordpress', { private: false });
  await publish(kirk, 'cs:~kirk/wordpress', { name: 'wordpress', summary: 'Blogging on a database', provides: { website: 'http' }, requires: { db: 'mysql' }, series: ['focal'] });
  await registerEntity(store, spock, 'mysql', { private: false });
  await publish(spock, 'cs:~spock/mysql', { name: 'mysql', summary: 'MySQL database', provides: { db: 'mysql' }, bases: jammy('amd64') });
  // Private: only spock may find it.
  await registerEntity(store, spock, 'secret-pg', { private: true });
  await publish(spock, 'cs:~spock/secret-pg', { name: 'secret-pg', provides: { db: 'pgsql' }, bases: jammy('s390x') });
  // Released on edge only: not published on stable, so filters do not find it.
  await registerEntity(store, kirk, 'edge-pg', { private: false });
  await publish(kirk, 'cs:~kirk/edge-pg', { name: 'edge-pg', provides: { db: 'pgsql' }, bases: jammy('amd64') }, ['edge']);
  // Stable has revision 0; the unreleased revision 1 speaks an interface nobody may find yet.
  await registerEntity(store, kirk, 'proxy', { private: false });
  await publish(kirk, 'cs:~kirk/proxy', { name: 'proxy', provides: { ingress: 'ingress' }, bases: jammy('amd64') });
  await pushOk(store, kirk, charm({ name: 'proxy', provides: { ingress: 'ingress', secret: 'zeppelin' }, bases: jammy('riscv64'), note: 'second' }), 'cs:~kirk/proxy');
});
afterAll(() => store.close());

async function urls(variables: SearchPublishedQueryVariables, token?: string): Promise<string[]> {
  const result = await store.execute(SearchPublishedDocument, { first: 50, ...variables }, { token });
  expect(result.errors).toBeUndefined();
  return result.data!.entities.edges.map((edge) => edge.node.url).sort();
}

/** Both code paths (the listing, and ranked search with a word every description has) must agree. */
async function bothWays(variables: SearchPublishedQueryVariables, token?: string): Promise<string[]> {
  const listed = await urls(variables, token);
  expect(await urls({ ...variables, query: 'deploys' }, token)).toEqual(listed);
  return listed;
}

describe('entities(provides:, requires:)', () => {
  it('finds charms by the interfaces their stable revision provides or requires', async () => {
    expect(await bothWays({ provides: 'pgsql' })).toEqual(['cs:~kirk/postgresql']);
    expect(await bothWays({ provides: 'mysql' })).toEqual(['cs:~spock/mysql']);
    expect(await urls({ requires: 'mysql' })).toEqual(['cs:~kirk/wordpress']);
    expect(await urls({ provides: 'prometheus_scrape' })).toEqual(['cs:~kirk/postgresql']);
    // An endpoint name is not an interface.
    expect(await urls({ provides: 'db' })).toEqual([]);
    expect(await urls({ provides: 'http', requires: 'mysql' })).toEqual(['cs:~kirk/wordpress']);
    expect(await urls({ provides: 'pgsql', requires: 'mysql' })).toEqual([]);
  });

  it('hides private charms from those who may not see them, and finds them for those who may', async () => {
    expect(await urls({ provides: 'pgsql' }, kirk)).toEqual(['cs:~kirk/postgresql']);
    expect(await bothWays({ provides: 'pgsql' }, spock)).toEqual(['cs:~kirk/postgresql', 'cs:~spock/secret-pg']);
  });

  it('looks only at revisions released on stable', async () => {
    expect(await urls({ provides: 'ingress' })).toEqual(['cs:~kirk/proxy']);
    expect(await urls({ provides: 'zeppelin' }, kirk)).toEqual([]);
    expect(await urls({ base: { channel: '22.04', architecture: 'riscv64' } }, kirk)).toEqual([]);
  });

  it('combines with a text query and the other filters', async () => {
    expect(await urls({ query: 'database', provides: 'pgsql' })).toEqual(['cs:~kirk/postgresql']);
    expect(await urls({ query: 'database', requires: 'mysql' })).toEqual(['cs:~kirk/wordpress']);
    expect(await urls({ query: 'database', owner: 'spock', provides: 'mysql' })).toEqual(['cs:~spock/mysql']);
    expect(await urls({ owner: 'kirk', provides: 'mysql' })).toEqual([]);
  });
});

describe('entities(base:)', () => {
  it('finds charms by OS name, channel and architecture, any part left out', async () => {
    expect(await bothWays({ base: { name: 'ubuntu', channel: '22.04' } })).toEqual(['cs:~kirk/postgresql', 'cs:~kirk/proxy', 'cs:~spock/mysql']);
    expect(await bothWays({ base: { channel: '22.04', architecture: 'arm64' } })).toEqual(['cs:~kirk/postgresql']);
    expect(await bothWays({ base: { name: 'centos' } })).toEqual([]);
    expect(await bothWays({ base: { channel: '22.04', architecture: 's390x' } }, spock)).toEqual(['cs:~spock/secret-pg']);
    expect(await bothWays({ base: { channel: '22.04', architecture: 's390x' } }, kirk)).toEqual([]);
  });

  it('matches a series-era charm (architecture "all") on any architecture of its base', async () => {
    expect(await bothWays({ base: { name: 'ubuntu', channel: '20.04', architecture: 'ppc64el' } })).toEqual(['cs:~kirk/wordpress']);
    expect(await bothWays({ base: { architecture: 'arm64' } })).toEqual(['cs:~kirk/postgresql', 'cs:~kirk/wordpress']);
  });

  it('looks at every platform of a stable channel map, not only the newest release', async () => {
    // An arm64-only revision of mysql joins the amd64 one on stable: both stay released, one per platform.
    await publish(spock, 'cs:~spock/mysql', { name: 'mysql', summary: 'MySQL database', provides: { db: 'mysql', router: 'mysql_router' }, bases: jammy('arm64'), note: 'arm' });
    expect(await bothWays({ base: { channel: '22.04', architecture: 'amd64' } })).toContain('cs:~spock/mysql');
    expect(await bothWays({ base: { channel: '22.04', architecture: 'arm64' } })).toContain('cs:~spock/mysql');
    expect(await urls({ provides: 'mysql_router', base: { architecture: 'arm64' } })).toEqual(['cs:~spock/mysql']);
    expect(await urls({ provides: 'mysql_router', base: { architecture: 'amd64' } })).toEqual([]);
  });

  it('combines with interfaces: one released revision must match them all', async () => {
    expect(await urls({ provides: 'mysql', base: { architecture: 'amd64' } })).toEqual(['cs:~spock/mysql']);
    expect(await urls({ provides: 'pgsql', base: { architecture: 'amd64' } })).toEqual(['cs:~kirk/postgresql']);
    expect(await urls({ provides: 'http', base: { channel: '22.04' } })).toEqual([]);
  });
});

describe('filter refusals', () => {
  it('refuses empty filters with a clear error naming the argument', async () => {
    for (const [variables, message] of [
      [{ provides: ' ' }, 'provides is empty'],
      [{ requires: '' }, 'requires is empty'],
      [{ base: {} }, 'base names nothing to filter by'],
      [{ base: { name: 'ubuntu', architecture: '' } }, 'base.architecture is empty'],
      [{ query: 'database', base: { channel: '' } }, 'base.channel is empty'],
    ] as Array<[SearchPublishedQueryVariables, string]>) {
      const result = await store.execute(SearchPublishedDocument, variables);
      expect(result.data).toBeNull();
      expect(result.errors?.[0]?.message).toContain(message);
      expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    }
  });
});
