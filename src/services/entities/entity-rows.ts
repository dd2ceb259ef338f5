import DataLoader from 'dataloader';
import type { Prisma } from '../../generated/prisma/client.js';
import { entityAccessSelect } from '../authorization/entity-access.js';
import type { ServiceContext } from '../context.js';
import { perRequest } from '../request-cache.js';

/**
 * Everything reads need about an entity besides its revisions: what the
 * authorization rules read (name, owner, privacy, ACL) and its channel state
 * (default track, tracks, channel pointers). One select for both, so that a
 * page, a resolve or an `entity(url)` reads each entity row once per request
 * (relation joins make it one statement).
 */
export const entityStateSelect = {
  ...entityAccessSelect,
  defaultTrack: true,
  trackGuardrail: true,
  tracks: { select: { name: true, createdAt: true } },
  channels: {
    select: {
      id: true,
      track: true,
      risk: true,
      branch: true,
      revisionId: true,
      revision: { select: { number: true } },
      closed: true,
      lastReleasedAt: true,
      // The channel map: one entry per platform, joined into the same statement.
      bases: {
        select: {
          name: true,
          baseChannel: true,
          architecture: true,
          revisionId: true,
          releaseId: true,
          revision: { select: { number: true } },
          // A progressive release in progress: its percentage, and what the other instances get.
          release: { select: { progressivePercentage: true } },
          previousRelease: { select: { id: true, revisionId: true, revision: { select: { number: true } } } },
        },
      },
      // The same for clients naming no base: the newest history entry, and the channel's previous release.
      history: { orderBy: { id: 'desc' }, take: 1, select: { action: true, progressivePercentage: true } },
      previousRelease: { select: { id: true, revisionId: true, revision: { select: { number: true } } } },
    },
  },
} satisfies Prisma.EntitySelect;

export type EntityStateRow = Prisma.EntityGetPayload<{ select: typeof entityStateSelect }>;

/** Entity rows by id, batched: one statement for every entity asked for in one tick. */
export function entityRowLoader(ctx: ServiceContext): DataLoader<number, EntityStateRow | null> {
  return perRequest(
    ctx,
    'entity-rows',
    () =>
      new DataLoader<number, EntityStateRow | null>(async (ids) => {
        const rows = await ctx.prisma.entity.findMany({ where: { id: { in: [...ids] } }, select: entityStateSelect });
        const byId = new Map(rows.map((row) => [row.id, row]));
        return ids.map((id) => byId.get(id) ?? null);
      }),
  );
}
