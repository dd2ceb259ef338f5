import { entityAccessLoader } from '../../services/entities/find-entity.js';
import { latestRevisionLoader, revisionByNumberLoader, revisionScope, revisionScopeWhere } from '../../services/entities/revision-loaders.js';
import { canReadRevision } from '../../services/entities/revision-access.js';
import type { GraphQLContext } from '../context.js';
import type { Revision } from '../../generated/prisma/client.js';
import { builder } from '../builder.js';
import { RevisionNode } from './revision.js';

/**
 * Revision rows from the batched loaders carry the revision's own columns;
 * Pothos loads whatever else a selection needs (the entity for `url`, ...)
 * through its model loader, batched by id.
 */
function asRevisionNode(row: Revision | null): RevisionShape | null {
  return row as unknown as RevisionShape | null;
}
type RevisionShape = typeof RevisionNode.$inferType;

async function accessOf(ctx: GraphQLContext, entityId: number) {
  const access = await entityAccessLoader(ctx.services).load(entityId);
  // The entity itself was only resolved because the caller may see it.
  if (!access) throw new Error(`entity ${entityId} resolved for a caller who may not see it`);
  return access;
}

/** Entity fields about revisions (the unpublished channel) and resources. */
builder.prismaObjectFields('Entity', (t) => ({
  revisions: t.prismaConnection({
    type: 'Revision',
    cursor: 'entityId_number',
    description:
      'Every revision, newest first (the unpublished channel) for readers of `unpublished`; others see the revisions released on channels they may read.',
    resolve: async (query, entity, _args, ctx) => {
      const scope = await revisionScope(ctx.services, await accessOf(ctx, entity.id));
      return ctx.prisma.revision.findMany({ ...query, where: revisionScopeWhere(entity.id, scope), orderBy: { number: 'desc' } });
    },
  }),
  latestRevision: t.field({
    type: RevisionNode,
    nullable: true,
    description: 'The newest revision you may read; null when there is none.',
    resolve: async (entity, _args, ctx) => {
      const scope = await revisionScope(ctx.services, await accessOf(ctx, entity.id));
      return asRevisionNode(await latestRevisionLoader(ctx.services).load({ entityId: entity.id, scope }));
    },
  }),
  revision: t.field({
    type: RevisionNode,
    nullable: true,
    description: 'The revision with this number; null when it does not exist or you may not read it.',
    args: { number: t.arg.int({ required: true, description: 'The revision number (0, 1, 2, ...).' }) },
    resolve: async (entity, { number }, ctx) => {
      const revision = await revisionByNumberLoader(ctx.services).load({ entityId: entity.id, number });
      if (!revision) return null;
      return (await canReadRevision(ctx.services, await accessOf(ctx, entity.id), revision.id)) ? asRevisionNode(revision) : null;
    },
  }),
  resources: t.relation('resources', {
    description: 'The resources its metadata.yaml declares (every pushed revision adds its own), by name.',
    query: { orderBy: { name: 'asc' } },
  }),
}));
