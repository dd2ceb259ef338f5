import { getCaller } from '../../services/authorization/caller.js';
import { builder } from '../builder.js';
import { requireListedCursor } from '../cursors.js';

builder.queryField('auditEvents', (t) =>
  t.prismaConnection({
    type: 'AuditEvent',
    cursor: 'id',
    nullable: true,
    description: 'Admins only (null for everyone else): every change to the store, newest first, optionally of one action ("grant", "promulgate", ...).',
    args: { action: t.arg.string({ description: 'Only events of this action.' }) },
    resolve: async (query, _root, args, ctx) => {
      if (!(await getCaller(ctx.services)).isAdmin) return null;
      const where = args.action ? { action: args.action } : {};
      await requireListedCursor(query, args, (key) => ctx.prisma.auditEvent.count({ where: { ...where, ...key } }));
      return ctx.prisma.auditEvent.findMany({ ...query, where, orderBy: { id: 'desc' } });
    },
  }, { name: 'AuditEventConnection', description: 'A page of audit events, newest first.' }, { name: 'AuditEventEdge', description: 'One audit event of the page.' }),
);
