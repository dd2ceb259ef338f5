import { isObjectType, isUnionType } from 'graphql';
import { describe, expect, it } from 'vitest';
import type { StoreError } from '../src/domain/errors.js';
import { schema } from '../src/graphql/schema.js';
import { createGroupErrors } from '../src/services/accounts/create-group.js';
import { createTokenErrors } from '../src/services/accounts/create-token.js';
import { createUserErrors } from '../src/services/accounts/create-user.js';
import { groupMembershipErrors } from '../src/services/accounts/group-membership.js';
import { loginErrors } from '../src/services/accounts/login.js';
import { logoutErrors } from '../src/services/accounts/logout.js';
import { revokeTokenErrors } from '../src/services/accounts/revoke-token.js';
import { closeChannelsErrors } from '../src/services/channels/close-channels.js';
import { createTrackErrors } from '../src/services/channels/create-track.js';
import { promoteErrors } from '../src/services/channels/promote.js';
import { releaseErrors } from '../src/services/channels/release.js';
import { setDefaultTrackErrors } from '../src/services/channels/set-default-track.js';
import { setTrackGuardrailErrors } from '../src/services/channels/set-track-guardrail.js';
import { updateProgressiveErrors } from '../src/services/channels/update-progressive.js';
import { promulgateErrors } from '../src/services/names/promulgate.js';
import { registerNameErrors } from '../src/services/names/register-name.js';
import { reserveNameErrors, unreserveNameErrors } from '../src/services/names/reserve-name.js';
import { unregisterNameErrors } from '../src/services/names/unregister-name.js';
import { pushResourceErrors } from '../src/services/push/push-resource.js';
import { pushErrors } from '../src/services/push/push.js';
import { setResourceArchitecturesErrors } from '../src/services/push/set-resource-architectures.js';
import { aclChangeErrors } from '../src/services/sharing/grant.js';
import { setPrivateErrors } from '../src/services/sharing/set-private.js';
import { webhookErrors } from '../src/services/live/webhooks.js';

type ErrorClass = abstract new (...args: never[]) => StoreError;

/**
 * The errors each mutation's service says it can produce. An error a
 * mutation's union does not list reaches the client as a masked
 * "Unexpected error.", so every one must be in the union.
 */
const SERVICE_ERRORS: Record<string, readonly ErrorClass[]> = {
  push: pushErrors,
  pushResource: pushResourceErrors,
  setResourceArchitectures: setResourceArchitecturesErrors,
  release: releaseErrors,
  promote: promoteErrors,
  updateProgressive: updateProgressiveErrors,
  closeChannels: closeChannelsErrors,
  createTrack: createTrackErrors,
  setDefaultTrack: setDefaultTrackErrors,
  setTrackGuardrail: setTrackGuardrailErrors,
  grant: aclChangeErrors,
  revoke: aclChangeErrors,
  setAcl: aclChangeErrors,
  setPrivate: setPrivateErrors,
  promulgate: promulgateErrors,
  registerName: registerNameErrors,
  unregisterName: unregisterNameErrors,
  reserveName: reserveNameErrors,
  unreserveName: unreserveNameErrors,
  createUser: createUserErrors,
  createGroup: createGroupErrors,
  addGroupMember: groupMembershipErrors,
  removeGroupMember: groupMembershipErrors,
  createToken: createTokenErrors,
  revokeToken: revokeTokenErrors,
  login: loginErrors,
  logout: logoutErrors,
  createWebhook: webhookErrors,
  deleteWebhook: webhookErrors,
  redeliverWebhook: webhookErrors,
};

function unionMembers(mutation: string): string[] {
  const field = schema.getMutationType()!.getFields()[mutation]!;
  let type = field.type;
  while ('ofType' in type && type.ofType) type = type.ofType;
  if (!isUnionType(type)) throw new Error(`${mutation} does not return a union`);
  return type.getTypes().map((member) => member.name);
}

describe('mutation result unions', () => {
  it('cover every mutation of the schema', () => {
    expect(Object.keys(schema.getMutationType()!.getFields()).sort()).toEqual(Object.keys(SERVICE_ERRORS).sort());
  });

  it.each(Object.entries(SERVICE_ERRORS))('%s lists every error its service can produce', (mutation, errors) => {
    const members = unionMembers(mutation);
    const missing = errors.map((error) => error.name).filter((name) => !members.includes(name));
    expect(missing).toEqual([]);
    // The names match GraphQL types of the same name.
    for (const error of errors) expect(isObjectType(schema.getType(error.name))).toBe(true);
  });
});
