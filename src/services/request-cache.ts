import type { ServiceContext } from './context.js';

const caches = new WeakMap<ServiceContext, Map<string, unknown>>();

/**
 * A value computed once per request (per service context): the caller's
 * groups, dataloaders. Nothing outlives the request, so a membership or ACL
 * change applies to the very next one.
 */
export function perRequest<T>(ctx: ServiceContext, key: string, create: () => T): T {
  let cache = caches.get(ctx);
  if (!cache) {
    cache = new Map();
    caches.set(ctx, cache);
  }
  if (!cache.has(key)) cache.set(key, create());
  return cache.get(key) as T;
}

/**
 * Forgets everything cached for the request. The write pipeline calls it
 * after every write, so that the next mutation of the same document (and the
 * write's own result) sees what the write changed: `grant` then `revoke` in
 * one document, or two `closeChannels`.
 */
export function clearRequestCaches(ctx: ServiceContext): void {
  caches.delete(ctx);
  // The groups authentication read with the token may be what the write changed: read them again.
  if (ctx.actor) delete ctx.actor.groups;
}
