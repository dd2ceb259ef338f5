import type { Token } from '../../generated/prisma/client.js';
import { createToken } from '../../services/accounts/create-token.js';
import { builder } from '../builder.js';
import { AuthenticationError, NotFoundError, PermissionDeniedError, ValidationError } from '../errors.js';
import { resultUnion } from '../mutation-field.js';
import { AccessTokenNode } from '../nodes/access-token.js';

const CreateTokenInput = builder.inputType('CreateTokenInput', {
  description: 'The limits of a new token, like `charmcraft login --export --charm --channel --permission --ttl`. Omitted limits: none (or those of the scoped token in use).',
  fields: (t) => ({
    description: t.string({ description: 'What it is for, e.g. "CI of wiki-scaler".' }),
    permissions: t.stringList({
      description:
        'Charmhub permissions: package-view, package-view-revisions, package-view-releases, package-view-acl, package-view-metadata, package-manage, package-manage-revisions, package-manage-releases, package-manage-acl, package-manage-metadata, account-register-package, account-view-packages.',
    }),
    entities: t.stringList({ description: 'Urls of charms or bundles you can see, e.g. "cs:~kirk/foo".' }),
    channels: t.stringList({ description: 'Channels it may release to or close: "edge" (every track), "1.2/edge", "1.2/edge/fix-1".' }),
    ttlSeconds: t.int({ description: 'Lifetime in seconds; 30 hours when omitted, at most the configured maximum.' }),
  }),
});

const CreateTokenSuccess = builder.objectRef<{ secret: string; token: Token }>('CreateTokenSuccess').implement({
  description: 'The new token. Its secret is shown only here: store it now.',
  fields: (t) => ({
    token: t.string({ description: 'The bearer secret: `Authorization: Bearer <token>`.', resolve: (result) => result.secret }),
    expiresAt: t.field({ type: 'DateTime', nullable: true, description: 'When it stops working.', resolve: (result) => result.token.expiresAt }),
    accessToken: t.field({ type: AccessTokenNode, description: 'The token as `viewer { tokens }` lists it.', resolve: (result) => result.token }),
  }),
});

builder.mutationField('createToken', (t) =>
  t.field({
    type: CreateTokenSuccess,
    description: 'Makes a bearer token for CI, limited to permissions, entities, channels and a lifetime. It never does more than you.',
    args: { input: t.arg({ type: CreateTokenInput, required: true, description: 'What to do; see the input type.' }) },
    errors: { types: [ValidationError, NotFoundError, PermissionDeniedError, AuthenticationError], ...resultUnion('createToken') },
    resolve: (_root, { input }, ctx) => createToken(ctx.services, input),
  }),
);
