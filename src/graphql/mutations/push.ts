import { type PushOutcome, push } from '../../services/push/push.js';
import { builder } from '../builder.js';
import { RevisionNode } from '../nodes/revision.js';
import { AuthenticationError, ConflictError, NotFoundError, PermissionDeniedError, ValidationError } from '../errors.js';
import { coversQuery } from '../known-rows.js';
import { resultUnion } from '../mutation-field.js';

const PushInput = builder.inputType('PushInput', {
  description:
    'An archive to push, as exactly one of `archive` (a file in a multipart request) or `uploadId` (from POST /uploads, for big archives), and where to push it.',
  fields: (t) => ({
    archive: t.field({ type: 'File', description: 'The zip archive, sent as a part of a multipart request (GraphQL multipart request spec).' }),
    uploadId: t.string({ description: 'The `uploadId` POST /uploads answered for the archive; single use, yours, until it expires.' }),
    url: t.string({
      description:
        'Where to push: "foo", "bundle/foo", "~group/foo", "cs:~group/foo" (no revision). Default: ~you/<metadata.yaml name> for charms, ~you/bundle/<bundle.yaml name or file stem> for bundles.',
    }),
  }),
});

const PushSuccess = builder.objectRef<PushOutcome>('PushSuccess').implement({
  description: 'The archive is the entity\'s newest revision (in the unpublished channel).',
  fields: (t) => ({
    revision: t.prismaField({
      type: RevisionNode,
      description: 'The new revision, or the latest one when `duplicate`.',
      // The row the push wrote, not read again when it holds what the selection needs (known-rows.ts).
      resolve: (query, result, _args, ctx) =>
        coversQuery(query, result.revision) ? result.revision : ctx.prisma.revision.findUniqueOrThrow({ ...query, where: { id: result.revision.id } }),
    }),
    duplicate: t.exposeBoolean('duplicate', {
      description: 'The archive is identical (SHA-384) to the latest revision, which is returned; nothing was created.',
    }),
  }),
});

builder.mutationField('push', (t) =>
  t.field({
    type: PushSuccess,
    description:
      'Pushes a charm or bundle archive as a new revision (0, 1, 2, ...), creating the entity (private, you only) on its first push. The archive is checked first; a refused one leaves nothing behind.',
    args: { input: t.arg({ type: PushInput, required: true, description: 'What to do; see the input type.' }) },
    errors: { types: [ValidationError, PermissionDeniedError, NotFoundError, ConflictError, AuthenticationError], ...resultUnion('push') },
    resolve: (_root, { input }, ctx) => push(ctx.services, input),
  }),
);
