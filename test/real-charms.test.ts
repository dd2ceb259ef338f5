import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RevisionDetailsDocument } from './generated/graphql.js';
import { createUserAndLogin, loginAdmin } from './support/accounts.js';
import { pushOk } from './support/push.js';
import { createTestStore, type TestStore } from './support/store.js';
import { buildZip } from './support/zip.js';

// Real charms and bundles (../shared/real-charms, see its SOURCES.md), read
// from there and zipped here as charmcraft would pack them: the metadata
// files at the root, a `version` file, and a hook. Nothing is copied into
// the repository.
const REAL = path.resolve(fileURLToPath(new URL('.', import.meta.url)), '../../shared/real-charms');

async function packDirectory(dir: string, version: string): Promise<Buffer> {
  const names = (await fs.readdir(dir)).filter((name) => name.endsWith('.yaml')).sort();
  const files = await Promise.all(names.map(async (name) => ({ name, data: await fs.readFile(path.join(dir, name)) })));
  return buildZip([...files, { name: 'version', data: `${version}\n` }, { name: 'dispatch', data: '#!/bin/sh\n', mode: 0o100755 }]);
}

const ubuntu = (channel: string, ...architectures: string[]) => ({ name: 'ubuntu', channel, architectures });

// What each charm runs on, read by hand from its charmcraft.yaml.
const charms: [string, ReturnType<typeof ubuntu>[], string | null][] = [
  ['postgresql', [ubuntu('22.04', 'amd64', 'arm64')], 'Charmed PostgreSQL VM'],
  ['postgresql-k8s', [ubuntu('22.04', 'amd64', 'arm64')], 'Charmed PostgreSQL K8s'],
  ['mysql-k8s', [ubuntu('22.04', 'amd64', 'arm64', 's390x')], 'Charmed MySQL K8s'],
  ['traefik-k8s', [ubuntu('20.04', 'amd64'), ubuntu('26.04', 'amd64', 'arm64', 's390x')], 'Traefik Ingress Operator for Kubernetes'],
  ['grafana-k8s', [ubuntu('24.04', 'amd64')], null],
  ['prometheus-k8s', [ubuntu('26.04', 'amd64')], null],
  ['kubernetes-worker', [ubuntu('22.04', 'amd64', 'arm64', 's390x'), ubuntu('24.04', 'amd64', 'arm64', 's390x')], null],
  ['etcd', [ubuntu('22.04', 'amd64', 'arm64', 's390x'), ubuntu('24.04', 'amd64', 'arm64', 's390x')], null],
  ['containerd', [ubuntu('22.04', 'amd64', 'arm64', 's390x'), ubuntu('24.04', 'amd64', 'arm64', 's390x')], null],
];
const bundles = ['bundle-kubernetes-core', 'bundle-realtime-syslog-analytics', 'charmed-kubernetes-1.14', 'charmed-kubernetes-1.35', 'postgresql-k8s-bundle'];

let store: TestStore;
let kirk: string;

beforeAll(async () => {
  store = await createTestStore();
  kirk = await createUserAndLogin(store, await loginAdmin(store), 'kirk');
});
afterAll(() => store.close());

describe('real charms push and show their bases, version and metadata', () => {
  it.each(charms)('%s', async (name, bases, title) => {
    const pushed = await pushOk(store, kirk, await packDirectory(path.join(REAL, name), `${name}-1.0-3-gabc123`), `~kirk/${name}`);
    const result = await store.execute(RevisionDetailsDocument, { url: pushed.revision.url }, { token: kirk });
    const revision = result.data?.revision;
    expect(revision?.bases).toEqual(bases);
    expect(revision?.version).toBe(`${name}-1.0-3-gabc123`);
    expect(revision?.title).toBe(title);
    expect(revision?.applications).toEqual([]);
    expect(revision?.summary).toBeTruthy();
    // Every charm here relates to something; each endpoint names its interface.
    const endpoints = [...(revision?.provides ?? []), ...(revision?.requires ?? []), ...(revision?.peers ?? [])];
    expect(endpoints.length).toBeGreaterThan(0);
    for (const endpoint of endpoints) expect(endpoint.interface).toMatch(/^[a-z0-9_-]+$/);
  });

  it('reads links, maintainers, assumes, containers and relations as the metadata writes them', async () => {
    const pg = (await store.execute(RevisionDetailsDocument, { url: 'cs:~kirk/postgresql-k8s-0' }, { token: kirk })).data?.revision;
    expect(pg?.links).toEqual({
      documentation: ['https://canonical-charmed-postgresql-k8s.readthedocs-hosted.com/14/'],
      issues: ['https://github.com/canonical/postgresql-k8s-operator/issues'],
      source: ['https://github.com/canonical/postgresql-k8s-operator'],
      website: ['https://ubuntu.com/data/postgresql', 'https://charmhub.io/postgresql-k8s', 'https://github.com/canonical/postgresql-k8s-operator'],
      contact: [],
    });
    expect(pg?.maintainers).toEqual(['Canonical Data Platform <data-platform@lists.launchpad.net>']);
    expect(pg?.assumes[0]).toBe('k8s-api');
    expect(pg?.assumes[1]).toHaveProperty('any-of');
    expect(pg?.containers).toEqual([{ name: 'postgresql', resource: 'postgresql-image' }]);
    expect(pg?.provides).toContainEqual({ name: 'database', interface: 'postgresql_client' });

    const worker = (await store.execute(RevisionDetailsDocument, { url: 'cs:~kirk/kubernetes-worker-0' }, { token: kirk })).data?.revision;
    expect(worker?.links?.contact).toHaveLength(3);
    expect(worker?.links?.documentation).toEqual(['https://discourse.charmhub.io/t/kubernetes-worker-docs-index/6104']);
    expect(worker?.assumes).toEqual(['juju >= 3.1']);
    expect(worker?.peers).toEqual([{ name: 'coordinator', interface: 'coordinator' }]);

    const containerd = (await store.execute(RevisionDetailsDocument, { url: 'cs:~kirk/containerd-0' }, { token: kirk })).data?.revision;
    expect(containerd?.subordinate).toBe(true);
    // The series stay for old clients; the bases come from charmcraft.yaml.
    expect(containerd?.series).toEqual(['noble', 'jammy']);
  });

  it.each(bundles)('bundle %s', async (name) => {
    const text = await fs.readFile(path.join(REAL, 'bundles', name, 'bundle.yaml'), 'utf8');
    // "charmed-kubernetes-1.14" is no valid entity name (every dash-separated part needs a letter).
    const entityName = name.replace(/-(\d+)\.(\d+)$/, '-v$1x$2');
    const pushed = await pushOk(store, kirk, await packDirectory(path.join(REAL, 'bundles', name), '7'), `~kirk/bundle/${entityName}`);
    const revision = (await store.execute(RevisionDetailsDocument, { url: pushed.revision.url }, { token: kirk })).data?.revision;
    expect(revision?.bases).toEqual([]);
    expect(revision?.version).toBe('7');
    expect(revision?.links).toBeNull();
    const applications = revision?.applications ?? [];
    expect(applications.length).toBe(text.match(/^ {4}charm: /gm)?.length);
    for (const application of applications) expect(application.charm).not.toBe('');
    expect(applications.some((application) => application.numUnits !== null && application.numUnits > 0)).toBe(true);
  });

  it('reads application placement of a bundle: channel and num_units', async () => {
    const revision = (await store.execute(RevisionDetailsDocument, { url: 'cs:~kirk/bundle/postgresql-k8s-bundle-0' }, { token: kirk })).data?.revision;
    const postgres = revision?.applications.find((application) => application.charm === 'postgresql-k8s');
    expect(postgres).toMatchObject({ channel: expect.stringMatching(/\//), numUnits: expect.any(Number) });
  });
});
