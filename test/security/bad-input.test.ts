import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateGroupDocument, CreateUserDocument, ReleaseDocument } from '../generated/graphql.js';
import { createUserAndLogin, loginAdmin } from '../support/accounts.js';
import { expectStoreUnchanged, pushOk } from '../support/push.js';
import { createTestStore, type TestStore } from '../support/store.js';
import { charmZip } from '../support/zip.js';
import { answerOf, rawGraphQL, type RawAnswer } from './raw.js';

// Issue 9, "bad input answered as internal errors", item 8 (enum
// suggestions) and the user name case rule: each input here was answered
// with "Unexpected error." (or a 500) before, or leaked a hint.
let store: TestStore;
let admin: string;
let alice: string;

beforeAll(async () => {
  store = await createTestStore();
  admin = await loginAdmin(store);
  alice = await createUserAndLogin(store, admin, 'alice');
  await pushOk(store, alice, charmZip({ name: 'foo', resources: { cfg: { type: 'file' } } }));
});
afterAll(() => store.close());

/** An HTTP 400 whose one error is BAD_USER_INPUT with this message, and nothing internal in the body. */
function expectBadRequest(answer: RawAnswer, message: string | RegExp) {
  expect(answer.status).toBe(400);
  expect(answer.body?.errors).toHaveLength(1);
  expect(answer.body?.errors?.[0]?.message).toMatch(message);
  expect(answer.body?.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  expectNothingInternal(answer);
}

function expectNothingInternal(answer: RawAnswer) {
  expect(answer.text).not.toMatch(/Unexpected error|INTERNAL_SERVER_ERROR|originalError|stack|prisma|blobParts/i);
}

describe('NUL characters', () => {
  const nul = 'a\u0000b';

  it('in grant principals are a 400 and change nothing', async () => {
    await expectStoreUnchanged(store, async () => {
      const mutation = 'mutation($p: String!) { grant(input: { url: "cs:~alice/foo", principals: [$p] }) { __typename } }';
      expectBadRequest(await rawGraphQL(store, mutation, { p: nul }, alice), 'Variable $p contains a NUL character');
      const inline = 'mutation { grant(input: { url: "cs:~alice/foo", principals: ["a\\u0000b"] }) { __typename } }';
      expectBadRequest(await rawGraphQL(store, inline, {}, alice), 'A string in the document contains a NUL character');
    });
  });

  it('in entities(query|owner) and auditEvents(action) are a 400', async () => {
    for (const argument of ['query', 'owner']) {
      const answer = await rawGraphQL(store, `query($v: String) { entities(${argument}: $v) { edges { node { url } } } }`, { v: nul }, alice);
      expectBadRequest(answer, 'Variable $v contains a NUL character');
    }
    const audit = await rawGraphQL(store, 'query($v: String) { auditEvents(action: $v) { edges { node { action } } } }', { v: nul }, admin);
    expectBadRequest(audit, 'Variable $v contains a NUL character');
    const nested = await rawGraphQL(store, 'mutation($input: AclChangeInput!) { grant(input: $input) { __typename } }', { input: { url: 'cs:~alice/foo', principals: ['bob', nul] } }, alice);
    expectBadRequest(nested, 'Variable $input.principals[1] contains a NUL character');
  });

  it('in download paths are a 400, for missing and existing entities alike', async () => {
    for (const path of ['/resources/~x/y/cfg%00/0', '/resources/~alice/foo/cfg%00/0', '/archives/~alice/foo%00/0', '/archives/~alice/%E0%A4%A/0']) {
      const answer = await answerOf(await store.request(path, { token: alice }));
      expect(answer.status).toBe(400);
      expect(answer.body).toEqual({ error: expect.stringMatching(/^The download path (contains a control character|is not valid percent-encoded UTF-8)/) });
    }
  });
});

describe('node(id)', () => {
  it('refuses ids whose key is not a row id as bad input', async () => {
    for (const id of ['Entity:abc', 'Entity:2147483648', 'Entity:99999999999999999999', 'Entity:1.5', 'Entity:-1', 'User:', 'Group:0x10']) {
      const encoded = Buffer.from(id).toString('base64');
      const answer = await rawGraphQL(store, 'query($id: ID!) { node(id: $id) { id } }', { id: encoded }, alice);
      expect(answer.body).toEqual({
        data: { node: null },
        errors: [{ message: `Invalid global ID: ${encoded}`, locations: [{ line: 1, column: 19 }], path: ['node'], extensions: { code: 'BAD_USER_INPUT' } }],
      });
    }
    const missing = await rawGraphQL(store, 'query($id: ID!) { node(id: $id) { id } }', { id: Buffer.from('Entity:2147483647').toString('base64') }, alice);
    expect(missing.body).toEqual({ data: { node: null } });
  });
});

describe('cursors that are not ours', () => {
  it('are bad input in every connection', async () => {
    for (const query of [
      'query($c: String) { entities(after: $c) { edges { cursor } } }',
      'query($c: String) { auditEvents(after: $c) { edges { cursor } } }',
      'query($c: String) { viewer { tokens(after: $c) { edges { cursor } } } }',
      'query($c: String) { entity(url: "cs:~alice/foo") { revisions(after: $c) { edges { cursor } } } }',
    ]) {
      for (const cursor of ['not ours', Buffer.from('GPC:N:99999999999').toString('base64'), Buffer.from('GPC:J:[1,2]').toString('base64'), Buffer.from('GPC:S:x').toString('base64')]) {
        const answer = await rawGraphQL(store, query, { c: cursor }, admin);
        // Pothos words some malformed compound cursors its own way; ours all read "Invalid cursor: <cursor>".
        expect(answer.body?.errors?.[0]).toMatchObject({ message: expect.stringMatching(/cursor/), extensions: { code: 'BAD_USER_INPUT' } });
        expectNothingInternal(answer);
      }
    }
  });
});

describe('multipart requests', () => {
  const operations = JSON.stringify({ query: 'mutation($input: PushInput!) { push(input: $input) { __typename } }', variables: { input: { archive: null } } });

  async function sendMultipart(fields: Record<string, string>): Promise<RawAnswer> {
    const form = new FormData();
    for (const [name, value] of Object.entries(fields)) form.set(name, value);
    form.set('0', new File([new Uint8Array(charmZip({ name: 'bar' }))], 'bar.zip'));
    // The CSRF header every non-browser client sends with a multipart post (docs/security.md).
    return answerOf(await store.request('/graphql', { method: 'POST', token: alice, headers: { 'x-graphql-yoga-csrf': '1' }, body: form }));
  }

  it('refuse a map that is not a JSON object of null placeholders, storing nothing', async () => {
    await expectStoreUnchanged(store, async () => {
      for (const map of ['[["variables.input.archive"]]', '[{"a":1}]', '[]', 'null', '"x"', '{']) {
        expectBadRequest(await sendMultipart({ operations, map }), /^Multipart form field "map" (must be a JSON object|is not valid JSON)/);
      }
      expectBadRequest(await sendMultipart({ operations, map: '{"0": ["variables.input.archive.deep"]}' }), 'must name a null placeholder');
      expectBadRequest(await sendMultipart({ operations, map: '{"0": ["variables.__proto__.x"]}' }), 'must name a null placeholder');
      expectBadRequest(await sendMultipart({ operations, map: '{"7": ["variables.input.archive"]}' }), 'The map names form field "7", which is not a file');
      expectBadRequest(await sendMultipart({ operations: 'null', map: '{}' }), 'Multipart form field "operations" must be a JSON object');
      expectBadRequest(await sendMultipart({ operations: `[${operations}]`, map: '{}' }), 'Batching is not supported');
      expectBadRequest(await sendMultipart({ map: '{}' }), 'Missing multipart form field "operations"');
    });
  });

  it('still accept a well-formed one', async () => {
    const answer = await sendMultipart({ operations, map: '{"0": ["variables.input.archive"]}' });
    expect(answer.body).toEqual({ data: { push: { __typename: 'PushSuccess' } } });
  });
});

describe('a selection 3000 deep', () => {
  it('is a 400 before it is parsed', async () => {
    const deep = `{ ${'viewer { '.repeat(3000)}${'} '.repeat(3000)}}`;
    expectBadRequest(await rawGraphQL(store, deep, {}, alice), 'The document nests brackets more than 64 deep');
    const deepList = `query { entities(query: ${'['.repeat(3000)}${']'.repeat(3000)}) { edges { cursor } } }`;
    expectBadRequest(await rawGraphQL(store, deepList, {}, alice), 'The document nests brackets more than 64 deep');
  });
});

describe('suggestions', () => {
  it('are hidden for enum values, in documents and in variables, as for fields', async () => {
    for (const answer of [
      await rawGraphQL(store, '{ entities(kind: CHARMX) { edges { cursor } } }', {}, alice),
      await rawGraphQL(store, '{ entities(kind: charm) { edges { cursor } } }', {}, alice),
      await rawGraphQL(store, 'query($k: EntityKind) { entities(kind: $k) { edges { cursor } } }', { k: 'CHARMX' }, alice),
      await rawGraphQL(store, '{ entities { edgez { cursor } } }', {}, alice),
    ]) {
      expect(answer.body?.errors?.length).toBeGreaterThan(0);
      expect(answer.text).not.toMatch(/Did you mean|"CHARM"|edges/);
    }
  });
});

describe('user and group names', () => {
  it('are lower case when new: "Kirk" is refused with the name to use instead', async () => {
    await expectStoreUnchanged(store, async () => {
      const user = await store.execute(CreateUserDocument, { input: { username: 'Kirk', password: 'kirk-password' } }, { token: admin });
      expect(user.data?.createUser).toEqual({
        __typename: 'ValidationError',
        field: 'username',
        message: '"Kirk" is not a valid user name: new names are lower case; use "kirk"',
      });
      const group = await store.execute(CreateGroupDocument, { input: { name: 'Crew' } }, { token: admin });
      expect(group.data?.createGroup).toEqual({ __typename: 'ValidationError', field: 'name', message: '"Crew" is not a valid group name: new names are lower case; use "crew"' });
    });
    const created = await store.execute(CreateUserDocument, { input: { username: 'kirk', password: 'kirk-password' } }, { token: admin });
    expect(created.data?.createUser.__typename).toBe('CreateUserSuccess');
  });

  it('may not look like an older mixed-case name', async () => {
    // Made the way stores before this rule could: a name with capitals.
    await store.database.db.prisma.user.create({
      data: { username: 'Spock', passwordHash: 'unused', createdAt: new Date(), namespace: { create: { name: 'Spock' } } },
    });
    await expectStoreUnchanged(store, async () => {
      const user = await store.execute(CreateUserDocument, { input: { username: 'spock', password: 'spock-password' } }, { token: admin });
      expect(user.data?.createUser).toEqual({
        __typename: 'ConflictError',
        message: 'The name "spock" is too close to the existing user or group "Spock": names that differ only in case count as one',
      });
      const group = await store.execute(CreateGroupDocument, { input: { name: 'spock' } }, { token: admin });
      expect(group.data?.createGroup.__typename).toBe('ConflictError');
    });
  });
});

describe('a lone channel word close to a risk', () => {
  it('asks whether the risk was meant instead of suggesting a new track', async () => {
    for (const [word, risk] of [['stabel', 'stable'], ['egde', 'edge'], ['candiate', 'candidate'], ['bta', 'beta']]) {
      const result = await store.execute(ReleaseDocument, { input: { url: 'cs:~alice/foo-0', channels: [word!] } }, { token: alice });
      expect(result.data?.release).toEqual({
        __typename: 'ValidationError',
        field: 'channels',
        message: `"${word}" is neither a risk nor a track of cs:~alice/foo: did you mean "${risk}"? (To use a new track named "${word}", create it first with createTrack.)`,
      });
    }
    const track = await store.execute(ReleaseDocument, { input: { url: 'cs:~alice/foo-0', channels: ['2.0'] } }, { token: alice });
    expect(track.data?.release).toMatchObject({ __typename: 'ValidationError', message: expect.stringContaining('Track "2.0" does not exist on cs:~alice/foo') });
  });
});

describe('a signed-in request refused before it runs', () => {
  // Its authentication started with its headers (app.ts, earlyAuthentication) and is never read: a refusal like any
  // other, with no unhandled rejection (vitest fails the run on one) and no internal error.
  it('a malformed body, with a live token and with a malformed one, is answered as bad input', async () => {
    for (const token of [alice, 'not-a-token']) {
      const response = await store.request('/graphql', { method: 'POST', token, headers: { 'content-type': 'application/json' }, body: '{"query": ' });
      const answer = await answerOf(response);
      // (200: Yoga's status for a client that accepts only application/json.)
      expect(answer.body).toEqual({ errors: [{ message: 'POST body sent invalid JSON.', extensions: { code: 'BAD_REQUEST' } }] });
      expectNothingInternal(answer);
    }
    // The store goes on answering that caller.
    expect((await rawGraphQL(store, '{ viewer { user { username } } }', {}, alice)).body?.data).toEqual({ viewer: { user: { username: 'alice' } } });
  });

  async function lastUsedOfAlice(): Promise<string | null> {
    const token = await store.database.db.prisma.token.findFirstOrThrow({ where: { user: { username: 'alice' } }, orderBy: { id: 'desc' } });
    return token.lastUsedAt?.toISOString() ?? null;
  }

  it('does not record its token as used: a malformed body, a request refused as cross-site', async () => {
    for (const refused of [
      { headers: { 'content-type': 'application/json' }, body: '{"query": ' },
      // No CSRF header on a content type a browser sends cross-site without asking.
      { headers: { 'content-type': 'text/plain' }, body: '{"query":"{ viewer { user { username } } }"}' },
    ]) {
      const before = await lastUsedOfAlice();
      // Past the minute within which a use is not recorded again.
      store.clock.advance(5 * 60_000);
      const response = await store.request('/graphql', { method: 'POST', token: alice, ...refused });
      expect((await answerOf(response)).body?.data).toBeUndefined();
      expect(await lastUsedOfAlice()).toBe(before);
    }
    // A request that runs records it, through the same early read.
    store.clock.advance(5 * 60_000);
    const statements: string[] = [];
    const stop = store.database.db.onStatement((statement) => statements.push(statement));
    try {
      expect((await rawGraphQL(store, '{ viewer { user { username } } }', {}, alice)).body?.data).toEqual({ viewer: { user: { username: 'alice' } } });
    } finally {
      stop();
    }
    expect(statements.filter((statement) => statement.includes('"secretHash"'))).toHaveLength(1);
    expect(await lastUsedOfAlice()).toBe(store.clock.now.toISOString());
  });
});
