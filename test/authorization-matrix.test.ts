import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AddGroupMemberDocument,
  ChannelDocument,
  ChannelMapDocument,
  CloseChannelsDocument,
  CreateTrackDocument,
  EntitiesDocument,
  ReleaseDocument,
  ResolveDocument,
  SetDefaultTrackDocument,
  SetTrackGuardrailDocument,
  CreateGroupDocument,
  CreateTokenDocument,
  CreateUserDocument,
  EntityNodeDocument,
  GrantDocument,
  LoginDocument,
  LogoutDocument,
  MatrixAuditEventsDocument,
  MatrixEntityAuditDocument,
  MatrixEntityDocument,
  MatrixRevisionDocument,
  MatrixRevisionsDocument,
  PushResourceDocument,
  PromulgateDocument,
  RegisterNameDocument,
  RemoveGroupMemberDocument,
  ReserveNameDocument,
  RevokeDocument,
  RevokeTokenDocument,
  SearchEntitiesDocument,
  SetAclDocument,
  SetPrivateDocument,
  UnregisterNameDocument,
  UnreserveNameDocument,
  ViewerDocument,
} from './generated/graphql.js';
import { createUserAndLogin, login, loginAdmin } from './support/accounts.js';
import { pushArchive, pushOk } from './support/push.js';
import { createGroupWith, registerEntity } from './support/sharing.js';
import { createTestStore, type GraphQLResponse, type TestStore } from './support/store.js';
import { charmZip } from './support/zip.js';

/**
 * Every query and mutation of the contract, run by every kind of caller,
 * with the exact outcome of each cell. The callers, around the private
 * entity cs:~kirk/target:
 *
 *   anonymous   no token
 *   stranger    a signed-in user on no list
 *   reader      james: read on stable
 *   writer      lars: write on edge
 *   member      spock: member of the group "crew", which has read on unpublished
 *   owner       kirk
 *   admin       the store administrator
 *   viewToken   kirk's token limited to package-view
 *   otherToken  kirk's token limited to the entity cs:~kirk/other
 *   edgeToken   kirk's token limited to package-manage-releases on the edge channel
 *
 * Outcomes: ok (success / visible), null (absent: the entity does not exist
 * for the caller), full / own (the ACL lists in full / only the entries
 * naming the caller), and the error types: missing (NotFoundError), denied
 * (PermissionDeniedError), auth (AuthenticationError), invalid
 * (ValidationError), conflict (ConflictError).
 */
const ROLES = ['anonymous', 'stranger', 'reader', 'writer', 'member', 'owner', 'admin', 'viewToken', 'otherToken', 'edgeToken'] as const;
type Role = (typeof ROLES)[number];

//                                     anonymous stranger reader   writer   member   owner    admin    viewToken otherToken edgeToken
const EXPECTED: Record<string, string> = {
  'query viewer':                     'null     ok       ok       ok       ok       ok       ok       ok       ok       ok',
  'query entity':                     'null     null     ok       ok       ok       ok       ok       ok       null     ok',
  'query node(id)':                   'null     null     ok       ok       ok       ok       ok       ok       null     ok',
  'Entity.acl':                       'null     null     own      full     own      full     full     own      null     own',
  'query revision(stable rev)':       'null     null     ok       null     ok       ok       ok       null     null     ok',
  'query revision(edge rev)':         'null     null     null     ok       ok       ok       ok       null     null     ok',
  'Entity.revisions':                 'null     null     1        1        2        2        2        0        null     2',
  'download (edge rev)':              '404      404      404      200      200      200      200      404      404      200',
  'query entities':                   'null     null     ok       ok       ok       ok       ok       ok       null     ok',
  'query entities(query)':            'null     null     ok       ok       ok       ok       ok       ok       null     ok',
  'query resolve(stable)':            'missing  missing  ok       missing  missing  ok       ok       missing  missing  ok',
  'query resolve(edge)':              'missing  missing  missing  ok       missing  ok       ok       missing  missing  ok',
  'Entity.channelMap':                'null     null     S        E        -        SCBE     SCBE     -        null     SCBE',
  'Channel.history(edge)':            'null     null     null     ok       null     ok       ok       null     null     ok',
  'Entity.auditEvents':               'null     null     null     null     null     ok       ok       null     null     null',
  'Entity.auditEvents(releases token)': 'null   null     null     null     null     null     null     denied   null     null',
  'query auditEvents':                'null     null     null     null     null     null     ok       null     null     null',
  'mutation login':                   'ok       ok       ok       ok       ok       ok       ok       ok       ok       ok',
  'mutation logout':                  'auth     ok       ok       ok       ok       ok       ok       ok       ok       ok',
  'mutation createToken':             'auth     ok       ok       ok       ok       ok       ok       ok       ok       ok',
  'mutation revokeToken':             'auth     ok       ok       ok       ok       ok       ok       denied   denied   denied',
  'mutation createUser':              'auth     denied   denied   denied   denied   denied   ok       denied   denied   denied',
  'mutation createGroup':             'auth     denied   denied   denied   denied   denied   ok       denied   denied   denied',
  'mutation addGroupMember':          'auth     denied   denied   denied   denied   denied   ok       denied   denied   denied',
  'mutation removeGroupMember':       'auth     denied   denied   denied   denied   denied   ok       denied   denied   denied',
  'mutation grant':                   'auth     missing  denied   denied   denied   ok       ok       denied   missing  denied',
  'mutation revoke':                  'auth     missing  denied   denied   denied   ok       ok       denied   missing  denied',
  'mutation setAcl':                  'auth     missing  denied   denied   denied   ok       ok       denied   missing  denied',
  'mutation setPrivate':              'auth     missing  denied   denied   denied   ok       ok       denied   missing  denied',
  'mutation registerName':            'auth     ok       ok       ok       ok       ok       ok       denied   denied   denied',
  'mutation unregisterName':          'auth     missing  denied   denied   denied   conflict conflict denied   missing  denied',
  'mutation reserveName':             'auth     denied   denied   denied   denied   denied   ok       denied   denied   denied',
  'mutation unreserveName':           'auth     denied   denied   denied   denied   denied   ok       denied   denied   denied',
  'mutation push':                    'auth     denied   denied   denied   denied   ok       ok       denied   denied   denied',
  'mutation pushResource':            'auth     missing  denied   denied   denied   ok       ok       denied   missing  denied',
  'mutation release(edge)':           'auth     missing  denied   ok       denied   ok       ok       denied   missing  ok',
  'mutation release(unseen rev)':     'auth     missing  denied   missing  denied   ok       ok       denied   missing  missing',
  'mutation release(unseen resource)': 'auth    missing  denied   invalid  denied   ok       ok       denied   missing  invalid',
  'mutation release(stable)':         'auth     missing  denied   denied   denied   ok       ok       denied   missing  denied',
  'mutation closeChannels(beta)':     'auth     missing  denied   denied   denied   ok       ok       denied   missing  denied',
  'mutation createTrack':             'auth     missing  denied   denied   denied   ok       ok       denied   missing  denied',
  'mutation setDefaultTrack':         'auth     missing  denied   denied   denied   ok       ok       denied   missing  denied',
  'mutation setTrackGuardrail':       'auth     missing  denied   denied   denied   denied   ok       denied   missing  denied',
  'mutation promulgate':              'auth     denied   denied   denied   denied   denied   ok       denied   denied   denied',
};

let store: TestStore;
const tokens = new Map<Role, string>();
/** An unscoped token of each role's user, to make fresh tokens with. */
const userTokens = new Map<Role, string>();
let targetId: string;
let edgeDownloadPath: string;

function tokenOf(role: Role): string | undefined {
  return role === 'anonymous' ? undefined : tokens.get(role);
}

/** A resolve answer as an outcome code. */
function resolution(result: GraphQLResponse<{ resolve: { __typename: string } }>): string {
  if (result.errors) throw new Error(JSON.stringify(result.errors));
  const typename = result.data!.resolve.__typename;
  return typename === 'Resolution' ? 'ok' : outcome({ status: result.status, data: { resolve: { __typename: typename } } });
}

/** A mutation result as an outcome code. */
function outcome(result: GraphQLResponse<Record<string, { __typename: string } | null>>): string {
  if (result.errors) throw new Error(JSON.stringify(result.errors));
  const value = Object.values(result.data ?? {})[0];
  if (!value) return 'null';
  const codes: Record<string, string> = {
    NotFoundError: 'missing',
    PermissionDeniedError: 'denied',
    AuthenticationError: 'auth',
    ValidationError: 'invalid',
    ConflictError: 'conflict',
  };
  return codes[value.__typename] ?? (value.__typename.endsWith('Success') ? 'ok' : value.__typename);
}

type Cell = (role: Role, token: string | undefined) => Promise<string>;

const OPERATIONS: Record<string, Cell> = {
  'query viewer': async (_role, token) => ((await store.execute(ViewerDocument, {}, { token })).data?.viewer ? 'ok' : 'null'),
  'query entity': async (_role, token) => ((await store.execute(MatrixEntityDocument, { url: 'cs:~kirk/target' }, { token })).data?.entity ? 'ok' : 'null'),
  'query node(id)': async (_role, token) => ((await store.execute(EntityNodeDocument, { id: targetId }, { token })).data?.node ? 'ok' : 'null'),
  'Entity.acl': async (_role, token) => {
    const entity = (await store.execute(MatrixEntityDocument, { url: 'cs:~kirk/target' }, { token })).data?.entity;
    if (!entity) return 'null';
    const principals = new Set(entity.acl.flatMap((list) => [...list.read, ...list.write]));
    return ['kirk', 'james', 'lars', 'crew'].every((name) => principals.has(name)) ? 'full' : 'own';
  },
  'query revision(stable rev)': async (_role, token) => ((await store.execute(MatrixRevisionDocument, { url: 'cs:~kirk/target-0' }, { token })).data?.revision ? 'ok' : 'null'),
  'query revision(edge rev)': async (_role, token) => ((await store.execute(MatrixRevisionDocument, { url: 'cs:~kirk/target-1' }, { token })).data?.revision ? 'ok' : 'null'),
  'Entity.revisions': async (_role, token) => {
    const entity = (await store.execute(MatrixRevisionsDocument, { url: 'cs:~kirk/target' }, { token })).data?.entity;
    return entity ? String(entity.revisions.edges.length) : 'null';
  },
  'download (edge rev)': async (_role, token) => String((await store.request(edgeDownloadPath, { token })).status),
  'query entities': async (_role, token) => {
    const page = (await store.execute(EntitiesDocument, { owner: 'kirk', first: 50 }, { token })).data?.entities;
    return page?.edges.some((edge) => edge.node.url === 'cs:~kirk/target') ? 'ok' : 'null';
  },
  'query entities(query)': async (_role, token) => {
    const page = (await store.execute(SearchEntitiesDocument, { query: 'target', first: 50 }, { token })).data?.entities;
    return page?.edges.some((edge) => edge.node.url === 'cs:~kirk/target') ? 'ok' : 'null';
  },
  'query resolve(stable)': async (_role, token) => resolution(await store.execute(ResolveDocument, { url: 'cs:~kirk/target', channel: 'stable' }, { token })),
  'query resolve(edge)': async (_role, token) => resolution(await store.execute(ResolveDocument, { url: 'cs:~kirk/target', channel: 'edge' }, { token })),
  'Entity.channelMap': async (_role, token) => {
    const entity = (await store.execute(ChannelMapDocument, { url: 'cs:~kirk/target' }, { token })).data?.entity;
    if (!entity) return 'null';
    const letters = entity.channelMap.map((channel) => channel.risk.charAt(0)).join('');
    return letters || '-';
  },
  'Channel.history(edge)': async (_role, token) => {
    const entity = (await store.execute(ChannelDocument, { url: 'cs:~kirk/target', name: 'edge', first: 5 }, { token })).data?.entity;
    return entity?.channel?.history.edges.length ? 'ok' : 'null';
  },
  'Entity.auditEvents': async (_role, token) => {
    const entity = (await store.execute(MatrixEntityAuditDocument, { url: 'cs:~kirk/target' }, { token })).data?.entity;
    return entity?.auditEvents ? 'ok' : 'null';
  },
  // The role's own token narrowed to package-view-releases: the audit log shows ACL changes and unpublished pushes too, so no.
  'Entity.auditEvents(releases token)': async (_role, token) => {
    if (!token) return 'null';
    const narrowed = await store.execute(CreateTokenDocument, { input: { permissions: ['package-view-releases'] } }, { token });
    if (narrowed.data?.createToken.__typename !== 'CreateTokenSuccess') return outcome(narrowed);
    const entity = (await store.execute(MatrixEntityAuditDocument, { url: 'cs:~kirk/target' }, { token: narrowed.data.createToken.token })).data?.entity;
    return entity?.auditEvents ? 'ok' : 'null';
  },
  'query auditEvents': async (_role, token) => ((await store.execute(MatrixAuditEventsDocument, {}, { token })).data?.auditEvents ? 'ok' : 'null'),

  'mutation login': async (_role, token) => outcome(await store.execute(LoginDocument, { input: { username: 'stranger', password: 'stranger-password' } }, { token })),
  'mutation logout': async (role, token) => {
    if (!token) return outcome(await store.execute(LogoutDocument, { input: {} }));
    // A child of the role's token (same limits), so that the role keeps its own.
    const child = await store.execute(CreateTokenDocument, { input: { description: 'to log out' } }, { token });
    if (child.data?.createToken.__typename !== 'CreateTokenSuccess') throw new Error(`${role}: ${JSON.stringify(child)}`);
    return outcome(await store.execute(LogoutDocument, { input: {} }, { token: child.data.createToken.token }));
  },
  'mutation createToken': async (_role, token) => outcome(await store.execute(CreateTokenDocument, { input: { permissions: ['package-view'] } }, { token })),
  'mutation revokeToken': async (role, token) => {
    const owner = userTokens.get(role);
    if (!owner) return outcome(await store.execute(RevokeTokenDocument, { input: { id: '1' } }, { token }));
    const fresh = await store.execute(CreateTokenDocument, { input: { description: 'to revoke' } }, { token: owner });
    if (fresh.data?.createToken.__typename !== 'CreateTokenSuccess') throw new Error(JSON.stringify(fresh));
    return outcome(await store.execute(RevokeTokenDocument, { input: { id: fresh.data.createToken.accessToken.id } }, { token }));
  },
  'mutation createUser': async (role, token) => outcome(await store.execute(CreateUserDocument, { input: { username: `user-by-${role}`, password: 'password-123' } }, { token })),
  'mutation createGroup': async (role, token) => outcome(await store.execute(CreateGroupDocument, { input: { name: `group-by-${role}` } }, { token })),
  'mutation addGroupMember': async (_role, token) => outcome(await store.execute(AddGroupMemberDocument, { input: { group: 'crew', username: 'stranger' } }, { token })),
  'mutation removeGroupMember': async (_role, token) => outcome(await store.execute(RemoveGroupMemberDocument, { input: { group: 'crew', username: 'stranger' } }, { token })),

  'mutation grant': async (_role, token) =>
    outcome(await store.execute(GrantDocument, { input: { url: 'cs:~kirk/target', channel: 'candidate', principals: ['james'] } }, { token })),
  'mutation revoke': async (_role, token) =>
    outcome(await store.execute(RevokeDocument, { input: { url: 'cs:~kirk/target', channel: 'candidate', acl: 'READ', principals: ['stranger'] } }, { token })),
  'mutation setAcl': async (_role, token) =>
    outcome(await store.execute(SetAclDocument, { input: { url: 'cs:~kirk/target', channel: 'candidate', acl: 'READ', principals: ['kirk', 'james'] } }, { token })),
  'mutation setPrivate': async (_role, token) => outcome(await store.execute(SetPrivateDocument, { input: { url: 'cs:~kirk/target', private: true } }, { token })),
  'mutation registerName': async (role, token) => outcome(await store.execute(RegisterNameDocument, { input: { name: `name-by-${role.toLowerCase()}` } }, { token })),
  'mutation unregisterName': async (_role, token) => outcome(await store.execute(UnregisterNameDocument, { input: { name: 'target' } }, { token })),
  'mutation reserveName': async (_role, token) => outcome(await store.execute(ReserveNameDocument, { input: { name: 'matrix-reserved' } }, { token })),
  'mutation unreserveName': async (_role, token) => outcome(await store.execute(UnreserveNameDocument, { input: { name: 'matrix-reserved' } }, { token })),
  'mutation push': async (role, token) => {
    const archive = charmZip({ name: 'target', resources: { data: { type: 'file' } }, revisionNote: `pushed by ${role}` });
    return outcome(await pushArchive(store, token ?? '', archive, 'cs:~kirk/target'));
  },
  'mutation pushResource': async (role, token) =>
    outcome(
      await store.executeMultipart(PushResourceDocument, { input: { url: 'cs:~kirk/target', name: 'data', file: null } }, { 'input.file': new File([`data by ${role}`], 'data.bin') }, { token }),
    ),
  'mutation release(edge)': async (_role, token) => outcome(await store.execute(ReleaseDocument, { input: { url: 'cs:~kirk/target', revision: 1, channels: ['edge'] } }, { token })),
  // A revision nobody released yet, pushed by the owner for each cell: releasing it needs read on unpublished.
  'mutation release(unseen rev)': async (role, token) => {
    const pushed = await pushOk(store, userTokens.get('owner')!, charmZip({ name: 'target', resources: { data: { type: 'file' } }, revisionNote: `unseen for ${role}` }), 'cs:~kirk/target');
    return outcome(await store.execute(ReleaseDocument, { input: { url: 'cs:~kirk/target', revision: pushed.revision.number, channels: ['edge'] } }, { token }));
  },
  // Revision 1 (on edge) with a resource revision nobody pinned yet: pinning it needs read on unpublished too.
  'mutation release(unseen resource)': async (role, token) => {
    const pushed = await store.executeMultipart(PushResourceDocument, { input: { url: 'cs:~kirk/target', name: 'data', file: null } }, { 'input.file': new File([`unseen for ${role}`], 'data.bin') }, { token: userTokens.get('owner')! });
    if (pushed.data?.pushResource.__typename !== 'PushResourceSuccess') throw new Error(JSON.stringify(pushed));
    const pin = { name: 'data', revision: pushed.data.pushResource.resourceRevision.revision };
    return outcome(await store.execute(ReleaseDocument, { input: { url: 'cs:~kirk/target', revision: 1, channels: ['edge'], resources: [pin] } }, { token }));
  },
  'mutation release(stable)': async (_role, token) => outcome(await store.execute(ReleaseDocument, { input: { url: 'cs:~kirk/target', revision: 0, channels: ['stable'] } }, { token })),
  'mutation closeChannels(beta)': async (_role, token) => outcome(await store.execute(CloseChannelsDocument, { input: { url: 'cs:~kirk/target', channels: ['beta'] } }, { token })),
  'mutation createTrack': async (role, token) => outcome(await store.execute(CreateTrackDocument, { input: { url: 'cs:~kirk/target', name: `track-${role}` } }, { token })),
  'mutation setDefaultTrack': async (_role, token) => outcome(await store.execute(SetDefaultTrackDocument, { input: { url: 'cs:~kirk/target', track: 'latest' } }, { token })),
  'mutation setTrackGuardrail': async (_role, token) =>
    outcome(await store.execute(SetTrackGuardrailDocument, { input: { url: 'cs:~kirk/target', pattern: null } }, { token })),
  'mutation promulgate': async (_role, token) => outcome(await store.execute(PromulgateDocument, { input: { url: 'cs:~kirk/target', promulgated: false } }, { token })),
};

beforeAll(async () => {
  store = await createTestStore();
  const admin = await loginAdmin(store);
  const kirk = await createUserAndLogin(store, admin, 'kirk');
  const users: Partial<Record<Role, string>> = {
    stranger: await createUserAndLogin(store, admin, 'stranger'),
    reader: await createUserAndLogin(store, admin, 'james'),
    writer: await createUserAndLogin(store, admin, 'lars'),
    member: await createUserAndLogin(store, admin, 'spock'),
    owner: kirk,
    admin,
  };
  await createGroupWith(store, admin, 'crew', ['spock']);
  const target = await registerEntity(store, kirk, 'target');
  targetId = target.id;
  await registerEntity(store, kirk, 'other');
  const grants = [
    { principals: ['james'] },
    { principals: ['lars'], channel: 'edge', acl: 'WRITE' as const },
    { principals: ['crew'], channel: 'unpublished' },
  ];
  for (const grant of grants) {
    const result = await store.execute(GrantDocument, { input: { url: 'cs:~kirk/target', ...grant } }, { token: kirk });
    if (result.data?.grant.__typename !== 'GrantSuccess') throw new Error(JSON.stringify(result));
  }
  // Revisions 0 and 1 (so that unregistering the name is refused rather than done) and a resource
  // revision, pushed by kirk; revision 0 released to stable, 1 to edge.
  for (const note of ['first', 'second']) {
    await pushOk(store, kirk, charmZip({ name: 'target', resources: { data: { type: 'file' } }, revisionNote: note }), 'cs:~kirk/target');
  }
  const resource = await store.executeMultipart(PushResourceDocument, { input: { url: 'cs:~kirk/target', name: 'data', file: null } }, { 'input.file': new File(['data'], 'data.bin') }, { token: kirk });
  if (resource.data?.pushResource.__typename !== 'PushResourceSuccess') throw new Error(JSON.stringify(resource));
  for (const [revision, channel] of [[0, 'stable'], [1, 'edge']] as const) {
    const released = await store.execute(ReleaseDocument, { input: { url: 'cs:~kirk/target', revision, channels: [channel] } }, { token: kirk });
    if (released.data?.release.__typename !== 'ReleaseSuccess') throw new Error(JSON.stringify(released));
  }

  const scoped = async (input: { permissions?: string[]; entities?: string[]; channels?: string[] }) => {
    const result = await store.execute(CreateTokenDocument, { input }, { token: kirk });
    if (result.data?.createToken.__typename !== 'CreateTokenSuccess') throw new Error(JSON.stringify(result));
    return result.data.createToken.token;
  };
  for (const [role, token] of Object.entries(users)) {
    tokens.set(role as Role, token);
    // A second sign-in, so that logging out and revoking never touch the role's own token.
    const username = role === 'owner' ? 'kirk' : role === 'admin' ? 'admin' : { stranger: 'stranger', reader: 'james', writer: 'lars', member: 'spock' }[role]!;
    userTokens.set(role as Role, role === 'admin' ? await loginAdmin(store) : await login(store, username, `${username}-password`));
  }
  const edgeRevision = await store.execute(MatrixRevisionDocument, { url: 'cs:~kirk/target-1' }, { token: kirk });
  edgeDownloadPath = new URL(edgeRevision.data!.revision!.downloadUrl, 'http://store.test').pathname;
  tokens.set('viewToken', await scoped({ permissions: ['package-view'] }));
  tokens.set('otherToken', await scoped({ entities: ['cs:~kirk/other'] }));
  tokens.set('edgeToken', await scoped({ permissions: ['package-manage-releases'], channels: ['edge'] }));
  userTokens.set('viewToken', kirk);
  userTokens.set('otherToken', kirk);
  userTokens.set('edgeToken', kirk);
});
afterAll(() => store.close());

/** Operations on one url, for comparing a private entity with a missing one. */
const ON_URL: Record<string, (url: string, token: string | undefined) => Promise<unknown>> = {
  entity: async (url, token) => (await store.execute(MatrixEntityDocument, { url }, { token })).data,
  resolve: async (url, token) => (await store.execute(ResolveDocument, { url, channel: 'stable' }, { token })).data,
  grant: async (url, token) => (await store.execute(GrantDocument, { input: { url, principals: ['james'] } }, { token })).data,
  revoke: async (url, token) => (await store.execute(RevokeDocument, { input: { url, principals: ['james'] } }, { token })).data,
  setAcl: async (url, token) => (await store.execute(SetAclDocument, { input: { url, channel: 'edge', acl: 'READ', principals: ['james'] } }, { token })).data,
  setPrivate: async (url, token) => (await store.execute(SetPrivateDocument, { input: { url, private: false } }, { token })).data,
  release: async (url, token) => (await store.execute(ReleaseDocument, { input: { url, revision: 0, channels: ['edge'] } }, { token })).data,
  closeChannels: async (url, token) => (await store.execute(CloseChannelsDocument, { input: { url, channels: ['edge'] } }, { token })).data,
  createTrack: async (url, token) => (await store.execute(CreateTrackDocument, { input: { url, name: '9.9' } }, { token })).data,
  setDefaultTrack: async (url, token) => (await store.execute(SetDefaultTrackDocument, { input: { url, track: 'latest' } }, { token })).data,
  setTrackGuardrail: async (url, token) => (await store.execute(SetTrackGuardrailDocument, { input: { url, pattern: null } }, { token })).data,
  push: async (url, token) => (await pushArchive(store, token ?? '', charmZip({ name: 'target', revisionNote: 'probe' }), url)).data,
  pushResource: async (url, token) =>
    (await store.executeMultipart(PushResourceDocument, { input: { url, name: 'data', file: null } }, { 'input.file': new File(['probe'], 'probe.bin') }, { token })).data,
  revision: async (url, token) => (await store.execute(MatrixRevisionDocument, { url: `${url}-0` }, { token })).data,
  download: async (url, token) => (await store.request(url === 'cs:~kirk/target' ? edgeDownloadPath : edgeDownloadPath.replace('target', 'absent'), { token })).status,
  createToken: async (url, token) => (await store.execute(CreateTokenDocument, { input: { entities: [url] } }, { token })).data,
};

describe('invisible means invisible', () => {
  it.each(['stranger', 'otherToken'] as const)('%s gets the same answers for the private entity as for a missing one', async (role) => {
    for (const [name, run] of Object.entries(ON_URL)) {
      const hidden = JSON.stringify(await run('cs:~kirk/target', tokenOf(role)));
      const missing = JSON.stringify(await run('cs:~kirk/absent', tokenOf(role)));
      expect(hidden.replaceAll('cs:~kirk/target', 'cs:~kirk/absent'), name).toBe(missing);
    }
  });
});

describe('the authorization matrix', () => {
  it('covers every operation listed in the table, and nothing else', () => {
    expect(Object.keys(OPERATIONS).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it('gives each caller exactly the expected outcome of every operation', async () => {
    const actual: Record<string, string> = {};
    for (const [name, run] of Object.entries(OPERATIONS)) {
      const cells: string[] = [];
      for (const role of ROLES) cells.push(await run(role, tokenOf(role)));
      actual[name] = cells.map((cell) => cell.padEnd(8)).join(' ').trimEnd();
    }
    const expected = Object.fromEntries(Object.entries(EXPECTED).map(([name, row]) => [name, row.split(/\s+/).map((cell) => cell.padEnd(8)).join(' ').trimEnd()]));
    expect(actual).toEqual(expected);
  });
});
