import { entityUrlOf } from '../../services/authorization/entity-access.js';
import { builder } from '../builder.js';

/**
 * One pushed archive of an entity. Fields about channels and downloads are
 * added by the files next to this one (revision-*.ts).
 */
export const RevisionNode = builder.prismaNode('Revision', {
  description: 'One pushed archive of a charm or bundle; numbers count 0, 1, 2, ... per entity and are never reused.',
  id: { field: 'id' },
  nullable: true,
  // node(id:) checks visibility by entity, so the entity id is always loaded.
  select: { entityId: true, number: true, entity: { select: { name: true, kind: true, namespace: { select: { name: true } } } } },
  fields: (t) => ({
    number: t.exposeInt('number', { description: 'The revision number: 0, 1, 2, ... per entity.' }),
    url: t.string({ description: 'The canonical url with the revision, e.g. "cs:~kirk/foo-9".', resolve: (revision) => entityUrlOf(revision.entity, revision.number) }),
    entity: t.relation('entity', { description: 'The charm or bundle this is a revision of.' }),
    sha384: t.exposeString('sha384', { description: 'SHA-384 of the archive, hex; identical content is never stored twice.' }),
    sha256: t.exposeString('sha256', { description: 'SHA-256 of the archive, hex.' }),
    size: t.int({ description: 'Size of the archive in bytes.', select: { size: true }, resolve: (revision) => Number(revision.size) }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When it was pushed.' }),
    createdBy: t.string({
      description: 'Who pushed it.',
      select: { createdBy: { select: { username: true } } },
      resolve: (revision) => revision.createdBy.username,
    }),
    summary: t.exposeString('summary', { nullable: true, description: 'One line from metadata.yaml (charms) or the bundle description.' }),
    description: t.exposeString('description', { nullable: true, description: 'The longer description from metadata.yaml.' }),
    series: t.exposeStringList('series', { description: 'The series the metadata declares (old charms); charms packed today declare bases instead (see bases). Empty for bundles.' }),
  }),
});
