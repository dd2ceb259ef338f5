import { GraphQLError } from 'graphql';

/** Every cursor key part is an `integer` column: a row id or a revision number. */
const MAX_KEY = 2 ** 31 - 1;

/** The page arguments of a connection, as the client sent them. */
interface PageArgs {
  after?: string | null;
  before?: string | null;
}

/**
 * A cursor names a row; Prisma pages from wherever that row sorts, whether
 * or not the caller may see it, so a cursor made from a private entity's id
 * would reveal where its name sorts (and one of a missing row, that it is
 * missing). A connection therefore only accepts a cursor of a row in the
 * very list it pages through (`countListed` counts the rows of that list
 * with the cursor's key): any other cursor, malformed, of a row the caller
 * cannot see, of another list or of a row that no longer exists, gets the
 * same error Pothos gives a malformed one.
 */
export async function requireListedCursor(
  query: { cursor?: object },
  args: PageArgs,
  countListed: (key: Record<string, number>) => Promise<number>,
): Promise<void> {
  if (!query.cursor) return;
  const key = cursorKey(query.cursor);
  if (!key || (await countListed(key)) !== 1) throw invalidCursor(args.after ?? args.before ?? '');
}

export function invalidCursor(cursor: string): GraphQLError {
  return new GraphQLError(`Invalid cursor: ${cursor}`, { extensions: { code: 'BAD_USER_INPUT' } });
}

/** `{id: 5}` or a compound `{entityId_number: {entityId: 1, number: 2}}` as plain column filters; null unless every part is a valid key. */
function cursorKey(cursor: object): Record<string, number> | null {
  const key: Record<string, number> = {};
  for (const [name, value] of Object.entries(cursor)) {
    // A compound key is named after its columns (`entityId_number`); whatever else a forged cursor decodes to is refused.
    const columns = name.split('_');
    const compound = columns.length > 1 && typeof value === 'object' && value !== null && !Array.isArray(value);
    if (compound && Object.keys(value).sort().join() !== [...columns].sort().join()) return null;
    const parts: Array<[string, unknown]> = compound ? Object.entries(value) : [[name, value]];
    for (const [column, part] of parts) {
      if (typeof part !== 'number' || !Number.isInteger(part) || part < 0 || part > MAX_KEY) return null;
      key[column] = part;
    }
  }
  return Object.keys(key).length > 0 ? key : null;
}
