import DataLoader from 'dataloader';
import type { Prisma, Revision } from '../../generated/prisma/client.js';
import type { GraphQLResolveInfo } from 'graphql';
import type { GraphQLContext } from '../context.js';
import { perRequest } from '../../services/request-cache.js';
import { perField } from './per-field.js';

type RevisionQuery = { select?: Prisma.RevisionSelect; include?: Prisma.RevisionInclude };
type Selection = Record<string, unknown>;

/**
 * Revisions by id with the selection Pothos planned for the field, batched
 * per request: every channel of a page that asks for `revision { ... }` or
 * `effectiveRevision { ... }` shares one statement, whose selection is the
 * union of the fields' selections (each field's planned selection is taken
 * once, from its first parent). Selections that cannot be merged (an
 * `include`, or relation arguments) get a statement of their own. Callers
 * have already checked that the caller may see these revisions.
 */
export async function loadRevision(ctx: GraphQLContext, info: GraphQLResolveInfo, query: RevisionQuery, id: number | null) {
  // Spread before the short cut, so Pothos sees the planned selection honoured either way.
  const planned = { ...query };
  if (id === null) return null;
  // The field's selection, the same object for all its parents: the batch merges each distinct one once.
  const selection = perField(ctx, info, () => planned);
  return revisionBatch(ctx).load({ id, selection });
}

interface Key {
  id: number;
  selection: RevisionQuery;
}

function revisionBatch(ctx: GraphQLContext): DataLoader<Key, Revision | null> {
  return perRequest(
    ctx.services,
    'revisions-by-id',
    () =>
      new DataLoader<Key, Revision | null>(
        async (keys) => {
          const selections = [...new Set(keys.map((key) => key.selection))];
          const merged = mergeSelections(selections);
          const groups: RevisionQuery[] = merged ? [merged] : selections;
          const rowsBySelection = new Map<RevisionQuery, Map<number, Revision>>();
          await Promise.all(
            groups.map(async (group) => {
              const ids = [...new Set(keys.filter((key) => merged || key.selection === group).map((key) => key.id))];
              const rows = (await ctx.prisma.revision.findMany({ ...withId(group), where: { id: { in: ids } } } as Prisma.RevisionFindManyArgs)) as Revision[];
              rowsBySelection.set(group, new Map(rows.map((row) => [row.id, row])));
            }),
          );
          return keys.map((key) => rowsBySelection.get(merged ?? key.selection)!.get(key.id) ?? null);
        },
        { cache: false },
      ),
  );
}

/** The union of `select` selections (nested relation selects merged too); null when one cannot be merged. */
function mergeSelections(queries: RevisionQuery[]): RevisionQuery | null {
  if (queries.length === 1) return queries[0]!;
  let select: Selection = {};
  for (const query of queries) {
    if (query.include || !query.select) return null;
    const next = mergeSelect(select, query.select as Selection);
    if (!next) return null;
    select = next;
  }
  return { select: select as Prisma.RevisionSelect };
}

function mergeSelect(a: Selection, b: Selection): Selection | null {
  const out: Selection = { ...a };
  for (const [field, value] of Object.entries(b)) {
    const mine = out[field];
    if (mine === undefined || mine === value) {
      out[field] = value;
      continue;
    }
    if (mine === true && value === true) continue;
    // Relations: only plain `{ select }` on both sides merge (no where, orderBy, take...).
    if (!isPlainSelect(mine) || !isPlainSelect(value)) return null;
    const nested = mergeSelect(mine.select, value.select);
    if (!nested) return null;
    out[field] = { select: nested };
  }
  return out;
}

function isPlainSelect(value: unknown): value is { select: Selection } {
  return typeof value === 'object' && value !== null && Object.keys(value).length === 1 && typeof (value as { select?: unknown }).select === 'object';
}

/** The planned selection plus the id the rows are matched by. */
function withId<Q extends { select?: object; include?: object }>(query: Q): Q {
  return query.select ? { ...query, select: { ...query.select, id: true } } : query;
}
