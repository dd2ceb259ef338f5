import { entityUrlOf } from '../../services/authorization/entity-access.js';
import { builder } from '../builder.js';

export const EntityKindEnum = builder.enumType('EntityKind', {
  description: 'What an entity is.',
  values: {
    CHARM: { description: 'A charm: an operator for one application.' },
    BUNDLE: { description: 'A bundle: several charms deployed together.' },
  } as const,
});

/**
 * A charm or bundle. Fields about revisions, channels and sharing are added
 * by the files next to this one (entity-*.ts).
 */
export const EntityNode = builder.prismaNode('Entity', {
  description: 'A charm or bundle, addressed as `cs:~owner/name` (or `cs:~owner/bundle/name`).',
  id: { field: 'id' },
  nullable: true,
  select: { name: true, kind: true, namespace: { select: { name: true } } },
  fields: (t) => ({
    url: t.string({
      description: 'The canonical url, e.g. "cs:~kirk/foo" or "cs:~kirk/bundle/wiki".',
      resolve: (entity) => entityUrlOf(entity),
    }),
    name: t.exposeString('name', { description: 'The name within its owner\'s namespace.' }),
    owner: t.string({ description: 'The owning user or group.', resolve: (entity) => entity.namespace.name }),
    kind: t.field({ type: EntityKindEnum, description: 'Charm or bundle.', resolve: (entity) => entity.kind }),
    promulgated: t.exposeBoolean('promulgated', { description: 'Recommended: promulgated by an admin into the top-level namespace.' }),
    private: t.exposeBoolean('private', { description: 'Private entities are visible only to the principals on their ACLs.' }),
    defaultTrack: t.exposeString('defaultTrack', { description: 'The track a channel without a track means ("latest" unless set).' }),
  }),
});
