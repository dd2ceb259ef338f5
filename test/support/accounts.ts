import { CreateUserDocument, LoginDocument } from '../generated/graphql.js';
import { ADMIN, type TestStore } from './store.js';

/** Signs in and returns the bearer token, failing the test on anything else. */
export async function login(store: TestStore, username: string, password: string): Promise<string> {
  const result = await store.execute(LoginDocument, { input: { username, password } });
  if (result.data?.login.__typename !== 'LoginSuccess') {
    throw new Error(`login as ${username} failed: ${JSON.stringify(result)}`);
  }
  return result.data.login.token;
}

export function loginAdmin(store: TestStore): Promise<string> {
  return login(store, ADMIN.username, ADMIN.password);
}

/** Creates a user through the API (as the admin) and signs them in. */
export async function createUserAndLogin(store: TestStore, adminToken: string, username: string): Promise<string> {
  const password = `${username}-password`;
  const result = await store.execute(CreateUserDocument, { input: { username, password } }, { token: adminToken });
  if (result.data?.createUser.__typename !== 'CreateUserSuccess') {
    throw new Error(`createUser ${username} failed: ${JSON.stringify(result)}`);
  }
  return login(store, username, password);
}
