import { GraphQLError } from 'graphql';
import { refresh } from '../../services/channels/refresh.js';
import { builder } from '../builder.js';
import { NotFoundError, ValidationError } from '../errors.js';
import { BaseInput } from '../nodes/base.js';
import { ResolutionType } from '../nodes/resolution.js';

const RefreshInstanceInput = builder.inputType('RefreshInstanceInput', {
  description: 'One deployed instance (e.g. a Juju application) asking what a refresh gets: the arguments of resolve.',
  fields: (t) => ({
    url: t.string({ required: true, description: 'The charm or bundle, without a revision: "cs:~kirk/foo", "foo", "cs:~kirk/jammy/foo" (a series picks its base, as in resolve).' }),
    channel: t.string({ description: 'The channel it tracks (default: the default track\'s stable).' }),
    base: t.field({ type: BaseInput, description: 'The platform it runs on: the revision the channel map holds for it.' }),
    currentRevision: t.int({ description: 'The revision deployed now, to compare with.' }),
    instanceKey: t.string({ description: 'An identifier of the instance, the same at every refresh: decides progressive releases (see resolve).' }),
  }),
});

const RefreshInput = builder.inputType('RefreshInput', {
  description: 'The instances to refresh, at most STORE_MAX_REFRESH_INSTANCES (500 by default) per call.',
  fields: (t) => ({
    instances: t.field({ type: [RefreshInstanceInput], required: true, description: 'The instances; the answers come in the same order.' }),
  }),
});

builder.queryField('refresh', (t) =>
  t.field({
    type: [ResolutionType],
    // Per instance: a Resolution, or the typed error of that instance alone (returned, not thrown).
    itemErrors: {
      types: [NotFoundError, ValidationError],
      directResult: true,
      union: { name: 'RefreshResult', description: 'What resolve would answer for one instance: a Resolution, or why there is none for it (the other instances are not affected).' },
    },
    description:
      'Many resolves in one call (Juju refreshing a model\'s applications): one answer per instance, in order, each exactly what resolve would answer, errors included. Costs the same few SQL statements for 1 instance or 500. More instances than the limit is a BAD_USER_INPUT error.',
    args: { input: t.arg({ type: RefreshInput, required: true, description: 'The instances.' }) },
    resolve: (_root, { input }, ctx) => {
      try {
        return refresh(ctx.services, input);
      } catch (error) {
        // The answer is a list, one union per instance: a refusal of the whole call has no place in it.
        if (error instanceof ValidationError && error.field === 'instances') {
          throw new GraphQLError(error.message, { extensions: { code: 'BAD_USER_INPUT', field: 'input.instances' } });
        }
        throw error;
      }
    },
  }),
);
