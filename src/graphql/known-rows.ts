/**
 * A write answers with the rows it wrote, not read again (a committed write
 * is always reported as one). Returned from a plain field, Pothos cannot
 * know what such a row holds and reads it again after the commit, one
 * statement per answer. Returned from a `prismaField` whose planned `query`
 * the row covers, it is used as it is; only a selection that asks for more
 * (a relation the write did not return, a filtered list, a count) reads.
 */

/** What Pothos plans for a prismaField: `select` (the type has a selection of its own) or `include` (every scalar, plus relations). */
interface PlannedQuery {
  select?: Record<string, unknown>;
  include?: Record<string, unknown>;
}

/**
 * `row` holds everything `query` asks for. Rows must hold every scalar
 * column of their model (the Prisma row type), since an `include` asks for
 * all of them and only its relations are checked.
 */
export function coversQuery(query: PlannedQuery, row: unknown): boolean {
  if (row === null) return true;
  if (Array.isArray(row)) return row.every((element) => coversQuery(query, element));
  if (typeof row !== 'object') return false;
  const fields = query.select ?? query.include ?? {};
  for (const [name, wanted] of Object.entries(fields)) {
    if (wanted === false || wanted === undefined) continue;
    const value = (row as Record<string, unknown>)[name];
    if (value === undefined) return false;
    // A whole relation (`true`) may be more than the partial object a write returns, and a Json column looks the same: read.
    if (wanted === true) {
      if (isWholeValue(value)) continue;
      return false;
    }
    if (typeof wanted !== 'object' || wanted === null) return false;
    // Arguments of a relation (where, orderBy, take, cursor...) or a count: only a read answers them.
    const { select, include, ...rest } = wanted as PlannedQuery & Record<string, unknown>;
    if (Object.keys(rest).length > 0) return false;
    if (!coversQuery({ ...(select ? { select } : {}), ...(include ? { include } : {}) }, value)) return false;
  }
  return true;
}

/** A scalar column's value: not an object that could be a partial relation. */
function isWholeValue(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return true;
  if (value instanceof Date) return true;
  return Array.isArray(value) && value.every((element) => element === null || typeof element !== 'object');
}
