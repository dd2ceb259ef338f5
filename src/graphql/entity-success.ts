import { builder } from './builder.js';

/** What a mutation that changes an entity returns: the changed entity, loaded with the selection the client asked for. */
export interface EntityResult {
  entityId: number;
}

/** Defines `<Name>Success { entity: Entity! }`. */
export function entitySuccess(name: string, description: string) {
  return builder.objectRef<EntityResult>(name).implement({
    description,
    fields: (t) => ({
      entity: t.prismaField({
        type: 'Entity',
        description: 'The charm or bundle, as it is now.',
        resolve: (query, result, _args, ctx) => ctx.prisma.entity.findUniqueOrThrow({ ...query, where: { id: result.entityId } }),
      }),
    }),
  });
}
