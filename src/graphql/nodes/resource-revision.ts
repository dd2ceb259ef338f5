import { resourceDownloadPath } from '../../domain/download-paths.js';
import { builder } from '../builder.js';

/** One pushed revision of a charm's resource. */
export const ResourceRevisionNode = builder.prismaObject('ResourceRevision', {
  description: 'One pushed revision of a resource (a file or an OCI image); numbers count 0, 1, 2, ... per resource.',
  select: { resource: { select: { name: true } } },
  fields: (t) => ({
    name: t.string({ description: 'The resource\'s name, as declared in metadata.yaml.', resolve: (revision) => revision.resource.name }),
    revision: t.exposeInt('revision', { description: 'The revision number: 0, 1, 2, ... per resource.' }),
    sha384: t.exposeString('sha384', { description: 'SHA-384 of the content, hex.' }),
    sha256: t.exposeString('sha256', { description: 'SHA-256 of the content, hex.' }),
    size: t.int({ description: 'Size in bytes.', select: { size: true }, resolve: (revision) => Number(revision.size) }),
    architectures: t.exposeStringList('architectures', {
      description: 'The architectures it is for (setResourceArchitectures); empty means every architecture.',
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When it was pushed.' }),
    createdBy: t.string({
      description: 'Who pushed it.',
      select: { createdBy: { select: { username: true } } },
      resolve: (revision) => revision.createdBy.username,
    }),
    downloadUrl: t.string({
      description: 'Where to download the content: a path on this store (GET, with the same bearer token), e.g. "/resources/~kirk/foo/image/0".',
      select: { revision: true, resource: { select: { name: true, entity: { select: { name: true, kind: true, namespace: { select: { name: true } } } } } } },
      resolve: ({ resource, revision }) =>
        resourceDownloadPath(
          { owner: resource.entity.namespace.name, name: resource.entity.name, isBundle: resource.entity.kind === 'BUNDLE' },
          resource.name,
          revision,
        ),
    }),
  }),
});
