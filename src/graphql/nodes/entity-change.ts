import { CHANGE_KINDS, type ChangeKind } from '../../domain/change-kind.js';
import type { EntityChangeEvent } from '../../services/live/change-feed.js';
import { builder } from '../builder.js';

const KIND_DESCRIPTIONS: Record<ChangeKind, string> = {
  PUSH: 'A revision was pushed.',
  RELEASE: 'Channels were pointed at a revision.',
  CLOSE: 'Channels were closed.',
  TRACK: 'A track was created, or the default track or track guardrail changed.',
  RESOURCE: 'A resource revision was uploaded.',
  ACL: 'Read or write access to a channel changed.',
  VISIBILITY: 'The entity was made public or private.',
  NAME: 'The entity gained or lost a top-level name.',
};

export const ChangeKindEnum = builder.enumType('ChangeKind', {
  description: 'What changed in an entity (live updates and webhooks).',
  values: Object.fromEntries(CHANGE_KINDS.map((kind) => [kind, { description: KIND_DESCRIPTIONS[kind] }])) as Record<ChangeKind, { description: string }>,
});

export const EntityChangeRef = builder.objectRef<EntityChangeEvent>('EntityChange').implement({
  description:
    'One committed change of an entity you may see. `entity` is read when the event is delivered, so it shows the state after the change (or later).',
  fields: (t) => ({
    eventId: t.id({
      description: 'Increases with each change; resume a subscription after it with `after` (or the SSE `Last-Event-ID` header).',
      resolve: (change) => String(change.eventId),
    }),
    kind: t.field({ type: ChangeKindEnum, description: 'What changed.', resolve: (change) => change.kind }),
    at: t.field({ type: 'DateTime', description: 'When the change was committed.', resolve: (change) => change.at }),
    channels: t.stringList({ description: 'The channels a RELEASE or CLOSE named; empty otherwise.', resolve: (change) => change.channels }),
    entity: t.prismaField({
      type: 'Entity',
      description: 'The entity as it is now.',
      resolve: async (query, change, _args, ctx) => ctx.prisma.entity.findUniqueOrThrow({ ...query, where: { id: change.entityId } }),
    }),
  }),
});
