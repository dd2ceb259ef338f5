import { BUNDLE_SERIES } from '../../domain/entity-url.js';
import { lookupEntity } from '../../services/entities/find-entity.js';
import { canReadRevision } from '../../services/entities/revision-access.js';
import { builder } from '../builder.js';

builder.queryField('revision', (t) =>
  t.prismaField({
    type: 'Revision',
    nullable: true,
    description:
      'The revision a url with a revision names (`cs:~kirk/foo-9`, `~kirk/bundle/wiki-3`, `foo-9`); null when the url has no revision, or the revision is missing or not visible to you.',
    args: { url: t.arg.string({ required: true, description: 'A url with a revision, e.g. "cs:~kirk/foo-9".' }) },
    resolve: async (query, _root, { url }, ctx) => {
      const found = await lookupEntity(ctx.services, url);
      const number = found?.url.revision;
      if (!found || number === undefined) return null;
      const { access, url: parsed } = found;
      const revision = await ctx.prisma.revision.findUnique({
        ...query,
        where: { entityId_number: { entityId: access.entity.id, number } },
      });
      if (!revision) return null;
      // A charm url's series must be one the revision supports.
      if (parsed.series !== undefined && parsed.series !== BUNDLE_SERIES) {
        const { series } = await ctx.prisma.revision.findUniqueOrThrow({ where: { id: revision.id }, select: { series: true } });
        if (!series.includes(parsed.series)) return null;
      }
      return (await canReadRevision(ctx.services, access, revision.id)) ? revision : null;
    },
  }),
);
