import { reserveName, unreserveName } from '../../services/names/reserve-name.js';
import { builder } from '../builder.js';
import { AuthenticationError, NotFoundError, PermissionDeniedError, ValidationError } from '../errors.js';
import { resultUnion } from '../mutation-field.js';

const ReservedNameInput = builder.inputType('ReservedNameInput', {
  description: 'A top-level name on the reserved list.',
  fields: (t) => ({ name: t.string({ required: true, description: 'The top-level name, e.g. "postgresql".' }) }),
});

const ReserveNameSuccess = builder.objectRef<{ name: string }>('ReserveNameSuccess').implement({
  description: 'The name is reserved: only admins may register it.',
  fields: (t) => ({ name: t.exposeString('name', { description: 'The reserved name.' }) }),
});

const UnreserveNameSuccess = builder.objectRef<{ name: string }>('UnreserveNameSuccess').implement({
  description: 'The name is off the reserved list.',
  fields: (t) => ({ name: t.exposeString('name', { description: 'The name.' }) }),
});

builder.mutationField('reserveName', (t) =>
  t.field({
    type: ReserveNameSuccess,
    description: 'Admin only: puts a top-level name on the reserved list, which only admins may register.',
    args: { input: t.arg({ type: ReservedNameInput, required: true, description: 'What to do; see the input type.' }) },
    errors: { types: [ValidationError, PermissionDeniedError, AuthenticationError], ...resultUnion('reserveName') },
    resolve: (_root, { input }, ctx) => reserveName(ctx.services, input),
  }),
);

builder.mutationField('unreserveName', (t) =>
  t.field({
    type: UnreserveNameSuccess,
    description: 'Admin only: takes a top-level name off the reserved list.',
    args: { input: t.arg({ type: ReservedNameInput, required: true, description: 'What to do; see the input type.' }) },
    errors: { types: [ValidationError, NotFoundError, PermissionDeniedError, AuthenticationError], ...resultUnion('unreserveName') },
    resolve: (_root, { input }, ctx) => unreserveName(ctx.services, input),
  }),
);
