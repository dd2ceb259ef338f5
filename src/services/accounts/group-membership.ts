import type { Group } from '../../generated/prisma/client.js';
import { AuthenticationError, NotFoundError, PermissionDeniedError } from '../../domain/errors.js';
import { recordAudit } from '../audit.js';
import { getCaller, isScopedToken } from '../authorization/caller.js';
import type { ServiceContext } from '../context.js';
import { requireSignedIn } from './require.js';

export interface GroupMemberInput {
  group: string;
  username: string;
  /** Make (or keep) the member a group admin; adding again with false demotes them. */
  isAdmin?: boolean | null;
}

/**
 * Admins and the group's own admins manage membership. Membership is read
 * from the database on every request, so a change applies to the very next one.
 */
async function resolveMembershipChange(ctx: ServiceContext, input: GroupMemberInput) {
  const actor = requireSignedIn(ctx);
  const group = await ctx.prisma.group.findUnique({ where: { name: input.group } });
  if (!group) throw new NotFoundError(`No group is called "${input.group}"`);
  const [caller, membership, user] = await Promise.all([
    getCaller(ctx),
    ctx.prisma.groupMember.findUnique({ where: { groupId_userId: { groupId: group.id, userId: actor.userId } }, select: { isAdmin: true } }),
    ctx.prisma.user.findUnique({ where: { username: input.username } }),
  ]);
  // Group admins manage their group with a token from login; scoped (CI) tokens never manage accounts.
  const isGroupAdmin = (membership?.isAdmin ?? false) && !isScopedToken(actor);
  if (!caller.isAdmin && !isGroupAdmin) {
    throw new PermissionDeniedError(`Only store administrators and admins of group "${group.name}" may change its members`);
  }
  if (!user) throw new NotFoundError(`No user is called "${input.username}"`);
  return { actor, group, user };
}

/** What groupMembership can answer besides success (its GraphQL union lists each; test/mutation-errors.test.ts checks). */
export const groupMembershipErrors = [AuthenticationError, NotFoundError, PermissionDeniedError] as const;

/** Adds a user to a group (or changes whether an existing member is a group admin). */
export async function addGroupMember(ctx: ServiceContext, input: GroupMemberInput): Promise<Group> {
  const { actor, group, user } = await resolveMembershipChange(ctx, input);
  const now = ctx.now();
  await ctx.prisma.$transaction(async (tx) => {
    await tx.groupMember.upsert({
      where: { groupId_userId: { groupId: group.id, userId: user.id } },
      create: { groupId: group.id, userId: user.id, isAdmin: input.isAdmin ?? false, createdAt: now },
      update: { isAdmin: input.isAdmin ?? false },
    });
    await recordAudit(tx, actor, { action: 'add-group-member', target: group.name, after: { member: user.username, isAdmin: input.isAdmin ?? false } }, now);
  });
  return group;
}

/** Removes a user from a group; removing a non-member changes nothing. */
export async function removeGroupMember(ctx: ServiceContext, input: GroupMemberInput): Promise<Group> {
  const { actor, group, user } = await resolveMembershipChange(ctx, input);
  const now = ctx.now();
  await ctx.prisma.$transaction(async (tx) => {
    await tx.groupMember.deleteMany({ where: { groupId: group.id, userId: user.id } });
    await recordAudit(tx, actor, { action: 'remove-group-member', target: group.name, before: { member: user.username } }, now);
  });
  return group;
}
