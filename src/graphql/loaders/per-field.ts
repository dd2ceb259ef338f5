import type { GraphQLResolveInfo } from 'graphql';
import type { GraphQLContext } from '../context.js';

const loaders = new WeakMap<GraphQLContext, WeakMap<object, unknown>>();

/**
 * A loader per request and per field of the operation: every parent of a
 * list (the channels of a page) that asks for the field shares it, and with
 * it the selection Pothos planned, which is the same for one field of one
 * operation. Keyed by the field's syntax nodes (the array the executor
 * hands every parent of one list), so that finding the loader costs nothing
 * per parent (no serialised selection as a key). Not by the first node
 * alone: a fragment's field reached from two lists is one node, but each
 * list may merge other selections of the same field with it, and Pothos
 * plans (and maps) each list's own.
 */
export function perField<T>(ctx: GraphQLContext, info: GraphQLResolveInfo, create: () => T): T {
  let byField = loaders.get(ctx);
  if (!byField) loaders.set(ctx, (byField = new WeakMap()));
  const field = info.fieldNodes;
  let loader = byField.get(field) as T | undefined;
  if (loader === undefined) byField.set(field, (loader = create()));
  return loader;
}
