import { encodeGlobalID } from '@pothos/plugin-relay';
import { GraphQLError } from 'graphql';

/** Every node type's key is a PostgreSQL `integer`: 1 to 2^31-1, written in plain decimal. */
const NODE_KEY = /^[1-9][0-9]{0,9}$/;
const MAX_NODE_KEY = 2 ** 31 - 1;

/**
 * Refuses a decoded global id whose key is not a valid row id (`Entity:abc`,
 * `Entity:1.5`, `Entity:99999999999999999999`) the way Pothos refuses one that
 * is not base64: as bad input, before it reaches the database, where it would
 * fail as an internal error (or `1.5` would be read as 1).
 */
export function checkedGlobalId<T extends { typename: string; id: string }>(id: T): T {
  if (!NODE_KEY.test(id.id) || Number(id.id) > MAX_NODE_KEY) {
    throw new GraphQLError(`Invalid global ID: ${encodeGlobalID(id.typename, id.id)}`, { extensions: { code: 'BAD_USER_INPUT' } });
  }
  return id;
}
