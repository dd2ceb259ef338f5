import type { GraphQLContext } from './context.js';
import { entityAccessLoader } from '../services/entities/find-entity.js';
import { canReadRevision } from '../services/entities/revision-access.js';

/**
 * `node(id:)` obeys the same visibility rules as every other field: an
 * entity or revision the caller may not see is null, as if it did not exist.
 */
export async function visibleNode(typename: string, node: unknown, ctx: GraphQLContext): Promise<unknown> {
  if (node === null || node === undefined) return null;
  const loader = entityAccessLoader(ctx.services);
  if (typename === 'Entity') {
    const entity = node as { id: number };
    return (await loader.load(entity.id)) ? node : null;
  }
  if (typename === 'Revision') {
    const revision = node as { id: number; entityId: number };
    const access = await loader.load(revision.entityId);
    return access && (await canReadRevision(ctx.services, access, revision.id)) ? node : null;
  }
  return node;
}
