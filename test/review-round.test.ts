import fs from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'graphql';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReleaseDocument, SetPrivateDocument } from './generated/graphql.js';
import { createUserAndLogin, loginAdmin } from './support/accounts.js';
import { pushOk } from './support/push.js';
import { seed } from './support/seed.js';
import { createTestStore, type TestStore } from './support/store.js';
import { bundleZip, charmZip } from './support/zip.js';

// Cases found in the review of the performance round. The fragment cases failed before their fix; the
// push and release cases pin that answers taken from the written rows equal a read after the commit.
let store: TestStore;
let admin: string;
let kirk: string;

const gql = (text: string) => parse(text) as TypedDocumentNode<any, Record<string, unknown>>;

beforeAll(async () => {
  store = await createTestStore();
  admin = await loginAdmin(store);
  kirk = await createUserAndLogin(store, admin, 'kirk');
  for (const note of ['A', 'B']) await pushOk(store, kirk, charmZip({ name: 'foo', revisionNote: note }));
  await store.execute(SetPrivateDocument, { input: { url: '~kirk/foo', private: false } }, { token: kirk });
  for (const url of ['cs:~kirk/foo-0', 'cs:~kirk/foo-1']) {
    const released = await store.execute(ReleaseDocument, { input: { url, channels: ['stable'] } }, { token: kirk });
    expect(released.data?.release.__typename).toBe('ReleaseSuccess');
  }
});
afterAll(() => store.close());

describe('a channel field reached through one fragment from two lists', () => {
  it('answers each list with the selection asked there, whichever list is resolved first', async () => {
    const query = gql(`
      query ($url: String!) {
        entity(url: $url) {
          channelMap { name ...H }
          tracks { channels { name ...H history(first: 5) { edges { node { revision { number } channel releasedBy bases { name } } } } } }
        }
      }
      fragment H on Channel { history(first: 5) { edges { node { action } } } }`);
    const result = await store.execute(query, { url: '~kirk/foo' }, { token: kirk });
    expect(result.errors).toBeUndefined();
    const stable = result.data.entity.tracks[0].channels.find((channel: { name: string }) => channel.name === 'latest/stable');
    const entry = { action: 'RELEASE', channel: 'latest/stable', releasedBy: 'kirk', bases: [{ name: 'ubuntu' }] };
    expect(stable.history.edges.map((edge: any) => edge.node)).toEqual([
      { ...entry, revision: { number: 1 } },
      { ...entry, revision: { number: 0 } },
    ]);
  });

  it('answers revisions of each list with the selection asked there', async () => {
    const query = gql(`
      query ($url: String!) {
        entity(url: $url) {
          channelMap { name ...R }
          tracks { channels { name ...R revision { sha384 createdBy } effectiveRevision { summary } } }
        }
      }
      fragment R on Channel { revision { number } effectiveRevision { number } }`);
    const result = await store.execute(query, { url: '~kirk/foo' }, { token: kirk });
    expect(result.errors).toBeUndefined();
    const stable = result.data.entity.tracks[0].channels.find((channel: { name: string }) => channel.name === 'latest/stable');
    expect(stable).toMatchObject({
      revision: { number: 1, sha384: expect.stringMatching(/^[0-9a-f]{96}$/), createdBy: 'kirk' },
      effectiveRevision: { number: 1, summary: 'The foo charm' },
    });
  });

  it('answers each list with the selection asked there', async () => {
    const query = gql(`
      query ($url: String!) {
        entity(url: $url) {
          tracks { channels { name ...H } }
          channelMap { name ...H history(first: 5) { edges { node { revision { number } } } } }
        }
      }
      fragment H on Channel { history(first: 5) { edges { node { action } } } }`);
    const result = await store.execute(query, { url: '~kirk/foo' }, { token: kirk });
    expect(result.errors).toBeUndefined();
    const stable = result.data.entity.channelMap.find((channel: { name: string }) => channel.name === 'latest/stable');
    expect(stable.history.edges.map((edge: any) => edge.node)).toEqual([
      { action: 'RELEASE', revision: { number: 1 } },
      { action: 'RELEASE', revision: { number: 0 } },
    ]);
  });

  it('answers aliases of history with each their page and selection', async () => {
    const query = gql(`
      query ($url: String!) {
        entity(url: $url) { channelMap { name one: history(first: 1) { edges { node { action } } } two: history(first: 2) { edges { node { revision { number } } } } } }
      }`);
    const result = await store.execute(query, { url: '~kirk/foo' }, { token: kirk });
    expect(result.errors).toBeUndefined();
    const stable = result.data.entity.channelMap.find((channel: { name: string }) => channel.name === 'latest/stable');
    expect(stable).toMatchObject({
      one: { edges: [{ node: { action: 'RELEASE' } }] },
      two: { edges: [{ node: { revision: { number: 1 } } }, { node: { revision: { number: 0 } } }] },
    });
  });

  it('answers aliases of revision with each their selection', async () => {
    const query = gql(`
      query ($url: String!) {
        entity(url: $url) { channelMap { name a: revision { number } b: revision { sha384 } e: effectiveRevision { url } } }
      }`);
    const result = await store.execute(query, { url: '~kirk/foo' }, { token: kirk });
    expect(result.errors).toBeUndefined();
    const stable = result.data.entity.channelMap.find((channel: { name: string }) => channel.name === 'latest/stable');
    expect(stable).toMatchObject({ a: { number: 1 }, b: { sha384: expect.any(String) }, e: { url: 'cs:~kirk/foo-1' } });
  });
});

const revisionFields = `
  __typename id number url sha384 sha256 size createdAt createdBy summary description series version title downloadUrl channels
  bases { name channel architectures } maintainers subordinate links { source } provides { name interface }
  n: number u: url ... on Revision { number }
  entity { __typename id url name owner private kind latestRevision { number } channelMap { name } defaultTrack promulgated }
  e2: entity { name }`;

describe('a push answers exactly what a read after it answers', () => {
  it('for every field of the new revision', async () => {
    const push = gql(`mutation ($input: PushInput!) { push(input: $input) { __typename ... on PushSuccess { duplicate revision { ${revisionFields} } } } }`);
    const zip = charmZip({ name: 'baz', revisionNote: 'answers' });
    const pushed = await store.executeMultipart(push, { input: { archive: null } }, { 'input.archive': new File([new Uint8Array(zip)], 'baz.zip') }, { token: kirk });
    expect(pushed.errors).toBeUndefined();
    expect(pushed.data.push.__typename).toBe('PushSuccess');
    const read = await store.execute(gql(`query ($url: String!) { revision(url: $url) { ${revisionFields} } }`), { url: 'cs:~kirk/baz-0' }, { token: kirk });
    expect(read.errors).toBeUndefined();
    expect(pushed.data.push.revision).toEqual(read.data.revision);
  });
});

describe('a bundle push answers what a read after it answers', () => {
  it('for the fields a write knows', async () => {
    const selection = 'number url summary description title series version createdBy createdAt downloadUrl size sha384 sha256 entity { name url kind }';
    const push = gql(`mutation ($input: PushInput!) { push(input: $input) { __typename ... on PushSuccess { revision { ${selection} } } } }`);
    const zip = bundleZip({ name: 'wiki', description: 'A wiki, with a database' });
    const pushed = await store.executeMultipart(push, { input: { archive: null } }, { 'input.archive': new File([new Uint8Array(zip)], 'wiki.zip') }, { token: kirk });
    expect(pushed.errors).toBeUndefined();
    const read = await store.execute(gql(`query ($url: String!) { revision(url: $url) { ${selection} } }`), { url: 'cs:~kirk/bundle/wiki-0' }, { token: kirk });
    expect(read.errors).toBeUndefined();
    expect(pushed.data.push.revision).toEqual(read.data.revision);
  });
});

describe('a push answer asking little', () => {
  it.each([
    'number entity { channelMap { name } }',
    'number entity { tracks { name } }',
    'number entity { latestRevision { number } }',
    'number entity { private promulgated defaultTrack }',
    'number entity { resources { name } }',
    'number entity { acl { __typename } }',
    'number entity { revisions(first: 2) { edges { node { number } } } }',
    'number channels',
    'number requires { name }',
    'number createdBy',
  ])('%s', async (selection) => {
    const push = gql(`mutation ($input: PushInput!) { push(input: $input) { __typename ... on PushSuccess { revision { ${selection} } } } }`);
    const name = `q${Math.random().toString(36).slice(2, 8)}`;
    const zip = charmZip({ name, revisionNote: selection });
    const pushed = await store.executeMultipart(push, { input: { archive: null } }, { 'input.archive': new File([new Uint8Array(zip)], 'x.zip') }, { token: kirk });
    expect(pushed.errors).toBeUndefined();
    const read = await store.execute(gql(`query ($url: String!) { revision(url: $url) { ${selection} } }`), { url: `cs:~kirk/${name}-0` }, { token: kirk });
    expect(read.errors).toBeUndefined();
    expect(pushed.data.push.revision).toEqual(read.data.revision);
  });
});

const releaseFields = `
  __typename channel action progressivePercentage releasedAt releasedBy bases { name channel architectures }
  resources { __typename name revision architectures size sha384 createdBy downloadUrl }
  revision { number url downloadUrl entity { name url } }
  r2: revision { number } res2: resources { name }`;

describe('a release answers exactly what the history shows after it', () => {
  it.each([releaseFields, 'channel revision { number }', 'channel resources { name revision }', 'channel bases { name }', 'action releasedBy revision { url downloadUrl }'])(
    '%s',
    async (selection) => {
      const spock = await seed(store, admin).user(`s${Math.random().toString(36).slice(2, 8)}`);
      const bar = await spock.charm('bar', { revisions: 2, private: false, resources: { data: 'file' } });
      await bar.pushResource('data', 2);
      const release = gql(`mutation ($input: ReleaseInput!) { release(input: $input) { __typename ... on ReleaseSuccess { releases { ${selection} } } } }`);
      const released = await store.execute(
        release,
        { input: { url: bar.url, revision: 1, channels: ['edge', 'beta'], resources: [{ name: 'data', revision: 0 }], progressive: { percentage: 30 } } },
        { token: spock.token },
      );
      expect(released.errors).toBeUndefined();
      expect(released.data.release.__typename).toBe('ReleaseSuccess');
      const history = gql(`query ($url: String!, $name: String!) { entity(url: $url) { channel(name: $name) { history(first: 1) { edges { node { ${selection} } } } } } }`);
      for (const [index, name] of ['edge', 'beta'].entries()) {
        const read = await store.execute(history, { url: bar.url, name }, { token: spock.token });
        expect(read.errors).toBeUndefined();
        expect(released.data.release.releases[index]).toEqual(read.data.entity.channel.history.edges[0].node);
      }
    },
  );
});

describe('an upload whose client goes away midway', () => {
  it('leaves nothing staged and no hashing thread running', async () => {
    const threads = async () => (await fs.readdir('/proc/self/task')).length;
    const chunk = new Uint8Array(256 * 1024).fill(7);
    const abortedUpload = async () => {
      let sent = 0;
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          // ~5 MiB, more than the batches in flight, then the connection drops.
          if (sent >= 20) return controller.error(new Error('connection reset by peer'));
          sent += 1;
          controller.enqueue(chunk);
        },
      });
      const response = await store.request('/uploads', { method: 'POST', token: kirk, body }).catch((error: Error) => error);
      expect(response instanceof Error ? response.message : response.status).not.toBe(201);
    };
    await abortedUpload();
    await new Promise((resolve) => setTimeout(resolve, 500));
    const before = await threads();
    for (let i = 0; i < 3; i += 1) await abortedUpload();
    for (let waited = 0; waited < 20_000 && ((await threads()) > before || (await fs.readdir(path.join(store.blobDir, '.staging'))).length > 0); waited += 100) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(await fs.readdir(path.join(store.blobDir, '.staging'))).toEqual([]);
    expect(await threads()).toBeLessThanOrEqual(before);
  });
});
