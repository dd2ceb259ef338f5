import type { ResourceRevision } from '../../generated/prisma/client.js';
import { pushResource } from '../../services/push/push-resource.js';
import { builder } from '../builder.js';
import { AuthenticationError, ConflictError, NotFoundError, PermissionDeniedError, ValidationError } from '../errors.js';
import { resultUnion } from '../mutation-field.js';

const PushResourceInput = builder.inputType('PushResourceInput', {
  description:
    'Content for a resource the charm declares: exactly one of `file` (a file in a multipart request) or `uploadId` (from POST /uploads). An oci-image resource\'s content is a JSON or YAML descriptor {"image": "<registry/path:tag>", "digest": "sha256:<hex>"}, optionally with a private registry\'s "username" and "password": downloads show those only to callers who may push to the charm, everyone else gets image and digest.',
  fields: (t) => ({
    url: t.string({ required: true, description: 'The charm, e.g. "cs:~kirk/foo" (no revision).' }),
    name: t.string({ required: true, description: 'The resource name, as declared under `resources` in metadata.yaml.' }),
    file: t.field({ type: 'File', description: 'The content, sent as a part of a multipart request.' }),
    uploadId: t.string({ description: 'The `uploadId` POST /uploads answered for the content.' }),
  }),
});

const PushResourceSuccess = builder.objectRef<{ resourceRevision: ResourceRevision; duplicate: boolean }>('PushResourceSuccess').implement({
  description: 'The content is the resource\'s newest revision.',
  fields: (t) => ({
    resourceRevision: t.prismaField({
      type: 'ResourceRevision',
      description: 'The new resource revision, or the latest one when `duplicate`.',
      resolve: (query, result, _args, ctx) => ctx.prisma.resourceRevision.findUniqueOrThrow({ ...query, where: { id: result.resourceRevision.id } }),
    }),
    duplicate: t.exposeBoolean('duplicate', {
      description: 'The content is identical (SHA-384) to the latest revision of the resource, which is returned; nothing was created.',
    }),
  }),
});

builder.mutationField('pushResource', (t) =>
  t.field({
    type: PushResourceSuccess,
    description: 'Adds the next revision (0, 1, 2, ...) of a resource declared in the charm\'s metadata.yaml. Release it with the charm (see `release`).',
    args: { input: t.arg({ type: PushResourceInput, required: true, description: 'What to do; see the input type.' }) },
    errors: { types: [ValidationError, PermissionDeniedError, NotFoundError, ConflictError, AuthenticationError], ...resultUnion('pushResource') },
    resolve: (_root, { input }, ctx) => pushResource(ctx.services, input),
  }),
);
