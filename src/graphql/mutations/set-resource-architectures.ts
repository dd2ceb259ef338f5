import type { ResourceRevision } from '../../generated/prisma/client.js';
import { setResourceArchitectures } from '../../services/push/set-resource-architectures.js';
import { builder } from '../builder.js';
import { AuthenticationError, NotFoundError, PermissionDeniedError, ValidationError } from '../errors.js';
import { resultUnion } from '../mutation-field.js';

const SetResourceArchitecturesInput = builder.inputType('SetResourceArchitecturesInput', {
  description: 'One resource revision and the architectures it is for.',
  fields: (t) => ({
    url: t.string({ required: true, description: 'The charm, e.g. "cs:~kirk/foo" (no revision).' }),
    name: t.string({ required: true, description: 'The resource name, as declared in metadata.yaml.' }),
    revision: t.int({ required: true, description: 'The resource revision.' }),
    architectures: t.stringList({ required: true, description: 'e.g. ["arm64"]; an empty list means every architecture.' }),
  }),
});

const SetResourceArchitecturesSuccess = builder.objectRef<ResourceRevision>('SetResourceArchitecturesSuccess').implement({
  description: 'The resource revision now says which architectures it is for.',
  fields: (t) => ({
    resourceRevision: t.prismaField({
      type: 'ResourceRevision',
      description: 'The resource revision, updated.',
      resolve: (query, revision, _args, ctx) => ctx.prisma.resourceRevision.findUniqueOrThrow({ ...query, where: { id: revision.id } }),
    }),
  }),
});

builder.mutationField('setResourceArchitectures', (t) =>
  t.field({
    type: SetResourceArchitecturesSuccess,
    description:
      'Says which architectures a resource revision is for (like `charmcraft set-resource-architectures`). A release refuses to pin it with a charm revision running on other architectures, and pins by default the newest revision made for the charm revision\'s architectures.',
    args: { input: t.arg({ type: SetResourceArchitecturesInput, required: true, description: 'What to do; see the input type.' }) },
    errors: { types: [ValidationError, PermissionDeniedError, NotFoundError, AuthenticationError], ...resultUnion('setResourceArchitectures') },
    resolve: (_root, { input }, ctx) => setResourceArchitectures(ctx.services, input),
  }),
);
