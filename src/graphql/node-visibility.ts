import type { GraphQLContext } from './context.js';
import { getCaller } from '../services/authorization/caller.js';
import { visibleEntityWhere } from '../services/authorization/entity-access.js';
import { entityAccessLoader } from '../services/entities/find-entity.js';
import { canReadRevision } from '../services/entities/revision-access.js';

const MAX_ROW_ID = 2 ** 31 - 1;

/**
 * `node(id:)` obeys the same visibility rules as every other field: an
 * entity or revision the caller may not see is null, as if it did not exist.
 *
 * For entities and revisions the check comes before the node is loaded, as
 * one statement with the visibility rule in its SQL: a node of an entity the
 * caller may not see and a missing one then run the same statements (nothing
 * is loaded for either), so timing does not tell them apart
 * (test/security/timing.test.ts).
 */
export async function visibleNode(id: { typename: string; id: string }, resolveNode: () => Promise<unknown>, ctx: GraphQLContext): Promise<unknown> {
  const key = Number(id.id);
  const isRowId = Number.isInteger(key) && key >= 1 && key <= MAX_ROW_ID;
  if (isRowId && id.typename === 'Entity') {
    const visible = ctx.prisma.entity.findFirst({ where: { AND: [{ id: key }, visibleEntityWhere(await getCaller(ctx.services))] }, select: { id: true } });
    return (await visible) ? resolveNode() : null;
  }
  if (isRowId && id.typename === 'Revision') {
    const caller = await getCaller(ctx.services);
    const revision = await ctx.prisma.revision.findFirst({ where: { id: key, entity: visibleEntityWhere(caller) }, select: { id: true, entityId: true } });
    if (!revision) return null;
    const access = await entityAccessLoader(ctx.services).load(revision.entityId);
    return access && (await canReadRevision(ctx.services, access, revision.id)) ? resolveNode() : null;
  }
  const node = await resolveNode();
  if (node === null || node === undefined) return null;
  const loader = entityAccessLoader(ctx.services);
  if (id.typename === 'Entity') {
    return (await loader.load((node as { id: number }).id)) ? node : null;
  }
  if (id.typename === 'Revision') {
    const revision = node as { id: number; entityId: number };
    const access = await loader.load(revision.entityId);
    return access && (await canReadRevision(ctx.services, access, revision.id)) ? node : null;
  }
  return node;
}
