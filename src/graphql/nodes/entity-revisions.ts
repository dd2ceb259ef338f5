import { entityAccessLoader } from '../../services/entities/find-entity.js';
import { canReadRevision } from '../../services/entities/revision-access.js';
import {
  latestReleasedRevisionLoader,
  type RevisionQuery,
  revisionLoader,
  revisionScope,
  revisionScopeWhere,
} from '../../services/entities/revision-loaders.js';
import type { Revision } from '../../generated/prisma/client.js';
import type { GraphQLContext } from '../context.js';
import { builder } from '../builder.js';
import { requireListedCursor } from '../cursors.js';

/**
 * The caller's access to an entity a field is asked on. Usually the entity
 * was only resolved because the caller may see it, but a mutation's result
 * (e.g. a name registered with a narrowly scoped token) can hand back one
 * the token may not read: then its revision fields are empty.
 */
function accessOf(ctx: GraphQLContext, entityId: number) {
  return entityAccessLoader(ctx.services).load(entityId);
}

/**
 * Pothos hands each field its selection as `query`; the loaders batch every
 * row asked for with one selection into one statement. Their rows are typed
 * loosely, so they are given back as what the selection produces.
 */
function asSelected(row: unknown): Revision | null {
  return row as Revision | null;
}

/** Entity fields about revisions (the unpublished channel) and resources. */
builder.prismaObjectFields('Entity', (t) => ({
  revisions: t.prismaConnection(
    {
      type: 'Revision',
      cursor: 'entityId_number',
      description:
        'Every revision, newest first (the unpublished channel), for readers of `unpublished`; others see the revisions released on channels they may read.',
      resolve: async (query, entity, args, ctx) => {
        const access = await accessOf(ctx, entity.id);
        if (!access) return [];
        const scope = await revisionScope(ctx.services, access);
        const where = revisionScopeWhere(entity.id, scope);
        await requireListedCursor(query, args, (key) => ctx.prisma.revision.count({ where: { AND: [where, key] } }));
        return ctx.prisma.revision.findMany({ ...query, where, orderBy: { number: 'desc' } });
      },
    },
    { name: 'RevisionConnection', description: 'A page of revisions, newest first.' },
    { name: 'RevisionEdge', description: 'A revision and its cursor.' },
  ),
  latestRevision: t.prismaField({
    type: 'Revision',
    nullable: true,
    select: { nextRevision: true },
    description: 'The newest revision you may read; null when there is none.',
    resolve: async (query, entity, _args, ctx) => {
      const access = await accessOf(ctx, entity.id);
      if (!access) return null;
      const scope = await revisionScope(ctx.services, access);
      if (scope.all) {
        if (entity.nextRevision === 0) return null;
        return asSelected(await revisionLoader(ctx.services, query as RevisionQuery).load({ entityId: entity.id, number: entity.nextRevision - 1 }));
      }
      if (scope.channelIds.length === 0) return null;
      return asSelected(await latestReleasedRevisionLoader(ctx.services, query as RevisionQuery).load({ entityId: entity.id, channelIds: scope.channelIds }));
    },
  }),
  revision: t.prismaField({
    type: 'Revision',
    nullable: true,
    description: 'The revision with this number; null when it does not exist or you may not read it.',
    args: { number: t.arg.int({ required: true, description: 'The revision number (0, 1, 2, ...).' }) },
    resolve: async (query, entity, { number }, ctx) => {
      const access = await accessOf(ctx, entity.id);
      const revision = await revisionLoader(ctx.services, { select: { id: true } }).load({ entityId: entity.id, number });
      if (!access || !revision || !(await canReadRevision(ctx.services, access, (revision as unknown as { id: number }).id))) return null;
      return asSelected(await revisionLoader(ctx.services, query as RevisionQuery).load({ entityId: entity.id, number }));
    },
  }),
  resources: t.relation('resources', {
    description: 'The resources its metadata.yaml declares (every pushed revision adds its own), by name.',
    query: { orderBy: { name: 'asc' } },
  }),
}));
