import { prismaExecutor } from '../../db/sql-executor.js';
import type { EntityKind } from '../../generated/prisma/client.js';
import { AuthenticationError, ConflictError, PermissionDeniedError, ValidationError } from '../../domain/errors.js';
import { formatEntityUrl } from '../../domain/entity-url.js';
import { requireSignedIn } from '../accounts/require.js';
import { recordAudit } from '../audit.js';
import { getCaller } from '../authorization/caller.js';
import { mayRegisterReserved, registerNameProblem } from '../authorization/name-access.js';
import type { ServiceContext } from '../context.js';
import { createEntity } from '../entities/create-entity.js';
import { afterCommit } from '../pipeline/entity-command.js';
import { lockTopLevelName, validateTopLevelName } from './names.js';

export interface RegisterNameInput {
  name: string;
  /** A user or group; the caller when omitted. */
  owner?: string | null;
  kind?: EntityKind | null;
  private?: boolean | null;
}

/** What registerName can answer besides success (its GraphQL union lists each; test/mutation-errors.test.ts checks). */
export const registerNameErrors = [AuthenticationError, ValidationError, PermissionDeniedError, ConflictError] as const;

/**
 * Claims a top-level name and creates the entity `~owner/name` holding it,
 * with no revisions yet: private by default, the owner alone on every list.
 * You register for yourself or a group you belong to; admins for anyone.
 * Reserved names are for admins only. Two requests for one name at once:
 * the name's row lock lets exactly one win.
 */
export async function registerName(ctx: ServiceContext, input: RegisterNameInput): Promise<{ entityId: number }> {
  const actor = requireSignedIn(ctx);
  const caller = await getCaller(ctx);
  const name = validateTopLevelName(input.name);
  const ownerName = input.owner?.trim() || actor.username;
  const namespace = await ctx.prisma.namespace.findUnique({ where: { name: ownerName } });
  if (!namespace) throw new ValidationError(`No user or group is called "${ownerName}"`, 'owner');
  const kind = input.kind ?? 'CHARM';
  const url = formatEntityUrl({ owner: ownerName, name, isBundle: kind === 'BUNDLE' });
  const problem = registerNameProblem(caller, ownerName, url);
  if (problem) throw new PermissionDeniedError(problem);
  const now = ctx.now();
  const result = await ctx.prisma.$transaction(async (tx) => {
    const topLevel = await lockTopLevelName(prismaExecutor(tx), name, now);
    if (topLevel.entityId !== null) throw new ConflictError(`The name "${name}" is already registered; choose another one (for example "${ownerName.toLowerCase()}-${name}")`);
    if (topLevel.reserved && !mayRegisterReserved(caller)) {
      throw new ConflictError(`The name "${name}" is reserved; only store administrators may register it (ask them if you think you should have it)`);
    }
    const { entity, created } = await createEntity(prismaExecutor(tx), { namespaceId: namespace.id, ownerName, name, kind, private: input.private ?? true, now });
    if (!created) throw new ConflictError(`${url} already exists; an existing entity cannot be registered again`);
    await tx.topLevelName.update({ where: { name }, data: { entityId: entity.id } });
    await recordAudit(tx, actor, { action: 'register-name', entityId: entity.id, target: name, after: { url, kind, private: entity.private } }, now);
    return { entityId: entity.id };
  });
  await afterCommit(ctx, { kind: 'entity-created', entityId: result.entityId });
  return result;
}
