import { AddGroupMemberDocument, CreateGroupDocument, RegisterNameDocument } from '../generated/graphql.js';
import type { TestStore } from './store.js';

/** Registers a name through the API and returns the new entity, failing the test on anything else. */
export async function registerEntity(
  store: TestStore,
  token: string,
  name: string,
  options: { owner?: string; kind?: 'CHARM' | 'BUNDLE'; private?: boolean } = {},
) {
  const result = await store.execute(RegisterNameDocument, { input: { name, ...options } }, { token });
  if (result.data?.registerName.__typename !== 'RegisterNameSuccess') {
    throw new Error(`registerName ${name} failed: ${JSON.stringify(result)}`);
  }
  return result.data.registerName.entity;
}

/** Creates a group (as the admin) with the given members. */
export async function createGroupWith(store: TestStore, adminToken: string, name: string, members: string[]): Promise<void> {
  const created = await store.execute(CreateGroupDocument, { input: { name } }, { token: adminToken });
  if (created.data?.createGroup.__typename !== 'CreateGroupSuccess') throw new Error(`createGroup ${name} failed: ${JSON.stringify(created)}`);
  for (const username of members) {
    const added = await store.execute(AddGroupMemberDocument, { input: { group: name, username } }, { token: adminToken });
    if (added.data?.addGroupMember.__typename !== 'AddGroupMemberSuccess') throw new Error(`addGroupMember failed: ${JSON.stringify(added)}`);
  }
}

/** The ACL lists a new entity of `owner` starts with: the owner alone on every list. */
export function initialAcl(owner: string) {
  return ['unpublished', 'stable', 'candidate', 'beta', 'edge'].map((channel) => ({ channel, read: [owner], write: [owner] }));
}
