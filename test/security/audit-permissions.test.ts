import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateTokenDocument, GrantDocument, SecurityEntityAuditDocument } from '../generated/graphql.js';
import { createUserAndLogin, loginAdmin } from '../support/accounts.js';
import { registerEntity } from '../support/sharing.js';
import { createTestStore, type TestStore } from '../support/store.js';

/**
 * Issue 9, item 6: a token limited to package-view-releases read
 * Entity.auditEvents, whose grant events name every principal that the
 * token's `acl` field hides. The audit log shows ACL changes, pushes,
 * releases and metadata changes, so reading it needs a token that allows
 * all of package-view-acl, -revisions, -releases and -metadata (or has no
 * limits); anything narrower reads no audit log.
 */
let store: TestStore;
let kirk: string;

async function tokenWith(permissions: string[]): Promise<string> {
  const result = await store.execute(CreateTokenDocument, { input: { permissions } }, { token: kirk });
  if (result.data?.createToken.__typename !== 'CreateTokenSuccess') throw new Error(JSON.stringify(result));
  return result.data.createToken.token;
}

async function audit(token: string) {
  const result = await store.execute(SecurityEntityAuditDocument, { url: 'cs:~kirk/foo' }, { token });
  expect(result.errors).toBeUndefined();
  return result.data!.entity!;
}

beforeAll(async () => {
  store = await createTestStore();
  const admin = await loginAdmin(store);
  kirk = await createUserAndLogin(store, admin, 'kirk');
  await createUserAndLogin(store, admin, 'james');
  await registerEntity(store, kirk, 'foo');
  const granted = await store.execute(GrantDocument, { input: { url: 'cs:~kirk/foo', principals: ['james'] } }, { token: kirk });
  expect(granted.data?.grant.__typename).toBe('GrantSuccess');
});
afterAll(() => store.close());

describe("an entity's audit log", () => {
  it.each([
    [['package-view-releases']],
    [['package-view']],
    [['package-view-releases', 'package-view-revisions', 'package-view-metadata']],
    [['package-manage-releases']],
  ])('is null for the owner through a token limited to %j, which also hides the ACL principals', async (permissions) => {
    const entity = await audit(await tokenWith(permissions));
    expect(entity.auditEvents).toBeNull();
    expect(JSON.stringify(entity.acl)).not.toContain('james');
  });

  it.each([
    [[] as string[]],
    [['package-view-acl', 'package-view-revisions', 'package-view-releases', 'package-view-metadata']],
    [['package-manage']],
  ])('is readable by the owner through a token with %j, grant events and all', async (permissions) => {
    const token = permissions.length ? await tokenWith(permissions) : kirk;
    const entity = await audit(token);
    const grant = entity.auditEvents!.edges.find((edge) => edge.node.action === 'grant');
    expect(JSON.stringify(grant?.node)).toContain('james');
  });
});
