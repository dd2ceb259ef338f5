import DataLoader from 'dataloader';
import { ValidationError } from '../../domain/errors.js';
import { BUNDLE_SERIES, type EntityUrl, parseEntityUrl } from '../../domain/entity-url.js';
import type { ServiceContext } from '../context.js';
import { getCaller } from '../authorization/caller.js';
import type { Prisma } from '../../generated/prisma/client.js';
import { EntityAccess, notFound, visibleEntityWhere } from '../authorization/entity-access.js';
import { entityRowLoader, entityStateSelect } from './entity-rows.js';
import { perRequest } from '../request-cache.js';

/**
 * Finds the entity a url names (by `~owner/name`, or through the top-level
 * namespace) with the caller's access to it; null when it does not exist or
 * the caller may not see it. The series segment must agree with the kind.
 *
 * Private and missing must not be told apart by timing either, so both run
 * the same statements by construction: the caller is loaded first (whether
 * or not anything matches), and the visibility rule is part of the lookup's
 * SQL (visibleEntityWhere), so an entity the caller may not see is never
 * loaded and the answer is the same empty result as for a missing one. The
 * check after loading (canView) is the same rule in code, a second line of
 * defence. test/security/timing.test.ts compares the statements.
 */
export async function findEntity(ctx: ServiceContext, url: EntityUrl): Promise<EntityAccess | null> {
  return (await findEntityState(ctx, url))?.access ?? null;
}

/**
 * For reads only: findEntity, with the entity's channel state read in the
 * same statement and kept for the rest of the request, so that what the
 * caller asks next about the entity (its channel map, a resolve) needs no
 * other statement. Writes must not use it: the kept state would be the one
 * from before their change.
 */
export async function findEntityForRead(ctx: ServiceContext, url: EntityUrl): Promise<EntityAccess | null> {
  const found = await findEntityState(ctx, url);
  if (!found) return null;
  entityRowLoader(ctx).prime(found.row.id, found.row);
  return found.access;
}

async function findEntityState(ctx: ServiceContext, url: EntityUrl) {
  const caller = await getCaller(ctx);
  const entity = await namedEntityLoader(ctx).load(url.owner ? `~${url.owner}/${url.name}` : url.name);
  if (!entity) return null;
  if (url.series === BUNDLE_SERIES && entity.kind !== 'BUNDLE') return null;
  if (url.series !== undefined && url.series !== BUNDLE_SERIES && entity.kind === 'BUNDLE') return null;
  const access = new EntityAccess(entity, caller);
  return access.canView() ? { access, row: entity } : null;
}

const namedEntitySelect = { ...entityStateSelect, topLevelName: { select: { name: true } } } satisfies Prisma.EntitySelect;

/**
 * Entities by name ("~owner/name", or a top-level "name"), among those the
 * caller may see, batched: the urls of one tick (a refresh of 500
 * applications) are looked up with one statement.
 */
function namedEntityLoader(ctx: ServiceContext): DataLoader<string, Prisma.EntityGetPayload<{ select: typeof namedEntitySelect }> | null> {
  return perRequest(
    ctx,
    'named-entities',
    () =>
      new DataLoader(async (names: readonly string[]) => {
        const caller = await getCaller(ctx);
        const rows = await ctx.prisma.entity.findMany({ where: { AND: [namesWhere(names), visibleEntityWhere(caller)] }, select: namedEntitySelect });
        return names.map((name) => {
          const owned = /^~([^/]+)\/(.+)$/.exec(name);
          const row = owned
            ? rows.find((candidate) => candidate.name === owned[2] && candidate.namespace.name === owned[1])
            : rows.find((candidate) => candidate.topLevelName?.name === name);
          return row ?? null;
        });
        // Batching only: writes look entities up too, and must see what earlier mutations of the request changed.
      }, { cache: false }),
  );
}

/**
 * The entities named `names` ("~owner/name" or a top-level "name"): one
 * condition per owner and one for all top-level names, each name once. Not
 * one condition per name: each would join the owner's namespace again, and
 * PostgreSQL plans a refresh of 500 instances of one charm (500 joins) for
 * seconds.
 */
function namesWhere(names: readonly string[]): Prisma.EntityWhereInput {
  const byOwner = new Map<string, Set<string>>();
  const topLevel = new Set<string>();
  for (const name of names) {
    const owned = /^~([^/]+)\/(.+)$/.exec(name);
    if (!owned) topLevel.add(name);
    else if (byOwner.has(owned[1]!)) byOwner.get(owned[1]!)!.add(owned[2]!);
    else byOwner.set(owned[1]!, new Set([owned[2]!]));
  }
  const wanted: Prisma.EntityWhereInput[] = [...byOwner].map(([owner, entityNames]) => ({ namespace: { name: owner }, name: { in: [...entityNames] } }));
  if (topLevel.size > 0) wanted.push({ topLevelName: { is: { name: { in: [...topLevel] } } } });
  return { OR: wanted };
}

/** For reads: the entity a url string names, or null when the url is malformed, missing or invisible. */
export async function lookupEntity(ctx: ServiceContext, urlText: string): Promise<{ access: EntityAccess; url: EntityUrl } | null> {
  let url: EntityUrl;
  try {
    url = parseEntityUrl(urlText);
  } catch (error) {
    if (error instanceof ValidationError) return null;
    throw error;
  }
  const access = await findEntityForRead(ctx, url);
  return access ? { access, url } : null;
}

/** Like findEntity for a url string, throwing ValidationError for a malformed url and NotFoundError when invisible. */
export async function requireEntity(ctx: ServiceContext, urlText: string, field = 'url'): Promise<{ access: EntityAccess; url: EntityUrl }> {
  const url = parseEntityUrl(urlText, field);
  const access = await findEntity(ctx, url);
  if (!access) throw notFound(urlText);
  return { access, url };
}

/** Batches access checks by entity id for the many entities of one page: one query per batch. */
export function entityAccessLoader(ctx: ServiceContext): DataLoader<number, EntityAccess | null> {
  return perRequest(
    ctx,
    'entity-access',
    () =>
      new DataLoader<number, EntityAccess | null>(async (ids) => {
        const [caller, entities] = await Promise.all([getCaller(ctx), entityRowLoader(ctx).loadMany(ids)]);
        return entities.map((entity) => {
          if (entity instanceof Error) throw entity;
          const access = entity && new EntityAccess(entity, caller);
          return access?.canView() ? access : null;
        });
      }),
  );
}
