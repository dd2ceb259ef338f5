import { entityAccessLoader } from '../../services/entities/find-entity.js';
import { revisionScope } from '../../services/entities/revision-loaders.js';
import { builder } from '../builder.js';
import { requireListedCursor } from '../cursors.js';

export const ResourceObject = builder.prismaObject('Resource', {
  description: 'A resource a charm declares in metadata.yaml (a file, or an OCI image), with its own revisions 0, 1, 2, ...',
  select: { id: true, entityId: true },
  fields: (t) => ({
    name: t.exposeString('name', { description: 'The name under `resources` in metadata.yaml.' }),
    type: t.exposeString('type', { description: '"file" or "oci-image".' }),
    description: t.exposeString('description', { nullable: true, description: 'What the resource is for, from metadata.yaml.' }),
    revisions: t.prismaConnection(
      {
        type: 'ResourceRevision',
        cursor: 'resourceId_revision',
        description:
          'Its revisions, newest first, for readers of the unpublished channel; others see those pinned by releases on channels they may read.',
        resolve: async (query, resource, args, ctx) => {
          const access = await entityAccessLoader(ctx.services).load(resource.entityId);
          if (!access) return [];
          const scope = await revisionScope(ctx.services, access);
          const where = scope.all
            ? { resourceId: resource.id }
            : { resourceId: resource.id, releases: { some: { release: { action: 'RELEASE' as const, channelId: { in: scope.channelIds } } } } };
          await requireListedCursor(query, args, (key) => ctx.prisma.resourceRevision.count({ where: { AND: [where, key] } }));
          return ctx.prisma.resourceRevision.findMany({
            ...query,
            where,
            orderBy: { revision: 'desc' },
          });
        },
      },
      { name: 'ResourceRevisionConnection', description: 'A page of resource revisions, newest first.' },
      { name: 'ResourceRevisionEdge', description: 'A resource revision and its cursor.' },
    ),
  }),
});
