import { archiveDownloadPath } from '../../domain/download-paths.js';
import { builder } from '../builder.js';

builder.prismaObjectField('Revision', 'downloadUrl', (t) =>
  t.string({
    description: 'Where to download the archive: a path on this store (GET, with the same bearer token), e.g. "/archives/~kirk/foo/9".',
    select: { number: true, entity: { select: { name: true, kind: true, namespace: { select: { name: true } } } } },
    resolve: (revision) =>
      archiveDownloadPath({ owner: revision.entity.namespace.name, name: revision.entity.name, isBundle: revision.entity.kind === 'BUNDLE' }, revision.number),
  }),
);
