import type { AclListsView } from '../../services/authorization/entity-access.js';
import { builder } from '../builder.js';

export const AclKindEnum = builder.enumType('AclKind', {
  description: 'Which list of a channel: read (see, resolve, download) or write (push to `unpublished`, release to / close a channel).',
  values: {
    READ: { description: 'See the channel, its history and the revisions released there (on `unpublished`: every revision).' },
    WRITE: { description: 'Release to or close the channel (on `unpublished`: push); includes read there.' },
  } as const,
});

export const AclEntryType = builder.objectRef<AclListsView>('AclEntry').implement({
  description: 'The read and write lists of one ACL channel of an entity.',
  fields: (t) => ({
    channel: t.exposeString('channel', {
      description: '"unpublished", a risk ("stable": that risk on every track), or a track/risk ("1.2/edge") narrowing a grant to one track.',
    }),
    read: t.exposeStringList('read', { description: 'Principals who may read: usernames, group names, or "everyone".' }),
    write: t.exposeStringList('write', { description: 'Principals who may write: usernames, group names, or "everyone".' }),
  }),
});
