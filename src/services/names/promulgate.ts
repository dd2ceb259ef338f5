import { requireAdmin } from '../accounts/require.js';
import { recordAudit } from '../audit.js';
import { entityUrlOf } from '../authorization/entity-access.js';
import type { ServiceContext } from '../context.js';
import { requireEntity } from '../entities/find-entity.js';
import { lockEntity } from '../sharing/acl-lists.js';
import { lockTopLevelName } from './names.js';

/**
 * Admin only (the `isAdmin` flag). Promulgating makes an entity the
 * recommended one for its name: the top-level name moves to it, away from
 * whichever entity held it (which stops being promulgated). Unpromulgating
 * only drops the recommendation: the top-level name stays bound to the
 * entity, so `cs:foo` keeps deploying what it deployed, until an admin
 * promulgates another entity of that name or the owner unregisters it.
 */
export async function promulgate(ctx: ServiceContext, input: { url: string; promulgated: boolean }): Promise<{ entityId: number }> {
  const actor = await requireAdmin(ctx, 'promulgate');
  const { access } = await requireEntity(ctx, input.url);
  const entity = access.entity;
  const now = ctx.now();
  await ctx.prisma.$transaction(async (tx) => {
    if (!input.promulgated) {
      await lockEntity(tx, entity.id);
      const { promulgated: before } = await tx.entity.findUniqueOrThrow({ where: { id: entity.id }, select: { promulgated: true } });
      await tx.entity.update({ where: { id: entity.id }, data: { promulgated: false } });
      await recordAudit(tx, actor, { action: 'unpromulgate', entityId: entity.id, target: access.url, before: { promulgated: before }, after: { promulgated: false } }, now);
      return;
    }
    const topLevel = await lockTopLevelName(tx, entity.name, now);
    let previousHolder: string | null = null;
    if (topLevel.entityId !== null && topLevel.entityId !== entity.id) {
      const previous = await tx.entity.update({
        where: { id: topLevel.entityId },
        data: { promulgated: false },
        select: { name: true, kind: true, namespace: { select: { name: true } } },
      });
      previousHolder = entityUrlOf(previous);
    }
    await lockEntity(tx, entity.id);
    const { promulgated: before } = await tx.entity.findUniqueOrThrow({ where: { id: entity.id }, select: { promulgated: true } });
    await tx.topLevelName.update({ where: { name: entity.name }, data: { entityId: entity.id } });
    await tx.entity.update({ where: { id: entity.id }, data: { promulgated: true } });
    await recordAudit(
      tx,
      actor,
      { action: 'promulgate', entityId: entity.id, target: access.url, before: { promulgated: before, name: entity.name, heldBy: previousHolder }, after: { promulgated: true, name: entity.name } },
      now,
    );
  });
  return { entityId: entity.id };
}
