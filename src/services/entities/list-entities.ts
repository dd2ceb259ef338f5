import type { EntityKind, Prisma } from '../../generated/prisma/client.js';
import { getCaller } from '../authorization/caller.js';
import { visibleEntityWhere } from '../authorization/entity-access.js';
import type { ServiceContext } from '../context.js';

/** The SQL filter of an entity listing: what the caller may see, narrowed by owner, kind and promulgation (Recommended / Community). */
export async function listEntitiesWhere(
  ctx: ServiceContext,
  filters: { owner?: string | null; kind?: EntityKind | null; promulgated?: boolean | null },
): Promise<Prisma.EntityWhereInput> {
  const caller = await getCaller(ctx);
  return {
    AND: [
      visibleEntityWhere(caller),
      filters.owner ? { namespace: { name: filters.owner } } : {},
      filters.kind ? { kind: filters.kind } : {},
      typeof filters.promulgated === 'boolean' ? { promulgated: filters.promulgated } : {},
    ],
  };
}
