import { entityAccessLoader } from '../../services/entities/find-entity.js';
import { builder } from '../builder.js';
import { requireListedCursor } from '../cursors.js';
import { AclEntryType } from './acl-entry.js';

builder.prismaObjectFields('Entity', (t) => ({
  acl: t.field({
    type: [AclEntryType],
    description:
      'The read and write lists per channel: in full for owners, admins and writers; for others only the entries naming them (their user, their groups, "everyone").',
    resolve: async (entity, _args, ctx) => (await entityAccessLoader(ctx.services).load(entity.id))?.visibleAcl() ?? [],
  }),
  auditEvents: t.prismaConnection({
    type: 'AuditEvent',
    cursor: 'id',
    nullable: true,
    description: 'Every change to this charm or bundle, newest first. Owners and admins only, with a token that may see everything the events show (no limits, or all of package-view-acl, -revisions, -releases and -metadata): null for everyone else.',
    resolve: async (query, entity, args, ctx) => {
      const access = await entityAccessLoader(ctx.services).load(entity.id);
      if (!access?.canReadAuditLog()) return null;
      await requireListedCursor(query, args, (key) => ctx.prisma.auditEvent.count({ where: { ...key, entityId: entity.id } }));
      return ctx.prisma.auditEvent.findMany({ ...query, where: { entityId: entity.id }, orderBy: { id: 'desc' } });
    },
  }, { name: 'EntityAuditEventConnection', description: 'A page of the audit events of one entity, newest first.' }, { name: 'EntityAuditEventEdge', description: 'One audit event of the page.' }),
}));
