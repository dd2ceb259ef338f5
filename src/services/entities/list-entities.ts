import type { EntityKind, Prisma } from '../../generated/prisma/client.js';
import { getCaller } from '../authorization/caller.js';
import { visibleEntityWhere } from '../authorization/entity-access.js';
import type { ServiceContext } from '../context.js';
import { publishedEntityWhere, type PublishedFilters } from './published-filters.js';

/**
 * The SQL filter of an entity listing: what the caller may see, narrowed by
 * owner, kind, promulgation (Recommended / Community) and what the entity
 * publishes (relation interfaces, bases).
 */
export async function listEntitiesWhere(
  ctx: ServiceContext,
  filters: { owner?: string | null; kind?: EntityKind | null; promulgated?: boolean | null } & PublishedFilters,
): Promise<Prisma.EntityWhereInput> {
  const published = publishedEntityWhere(filters);
  const caller = await getCaller(ctx);
  return {
    AND: [
      visibleEntityWhere(caller),
      filters.owner ? { namespace: { name: filters.owner } } : {},
      filters.kind ? { kind: filters.kind } : {},
      typeof filters.promulgated === 'boolean' ? { promulgated: filters.promulgated } : {},
      published,
    ],
  };
}
