import SchemaBuilder from '@pothos/core';
import DataloaderPlugin from '@pothos/plugin-dataloader';
import ErrorsPlugin from '@pothos/plugin-errors';
import PrismaPlugin from '@pothos/plugin-prisma';
import RelayPlugin from '@pothos/plugin-relay';
import type PrismaTypes from '../generated/pothos-prisma-types.js';
import { getDatamodel } from '../generated/pothos-prisma-types.js';
import type { GraphQLContext } from './context.js';
import { checkedGlobalId } from './global-ids.js';
import { visibleNode } from './node-visibility.js';

/** Only configuration lives here; types, queries and mutations have a file each. */
export const builder = new SchemaBuilder<{
  Context: GraphQLContext;
  PrismaTypes: PrismaTypes;
  DefaultFieldNullability: false;
  DefaultInputFieldRequiredness: false;
  Scalars: {
    DateTime: { Input: Date; Output: Date };
    Date: { Input: string; Output: string };
    File: { Input: File; Output: never };
    JSON: { Input: unknown; Output: unknown };
  };
}>({
  plugins: [ErrorsPlugin, PrismaPlugin, RelayPlugin, DataloaderPlugin],
  defaultFieldNullability: false,
  prisma: {
    // Each request brings its own client, so tests can give every file its own database.
    client: (ctx) => ctx.prisma,
    dmmf: getDatamodel(),
    exposeDescriptions: false,
    filterConnectionTotalCount: true,
    // The check wraps every planned query in getters (a few per cent of a dashboard page's CPU):
    // on in tests (vitest sets NODE_ENV=test) and development only; `npm start` sets no NODE_ENV.
    onUnusedQuery: process.env.NODE_ENV === 'test' || process.env.NODE_ENV === 'development' ? 'warn' : null,
  },
  relay: {
    clientMutationId: 'omit',
    cursorType: 'String',
    nodeTypeOptions: { description: 'An object with a globally unique id, which `node(id:)` looks up.' },
    pageInfoTypeOptions: { description: 'Where a page of a connection sits in the whole list.' },
    nodeQueryOptions: {
      description: 'Looks up any object by its global id; null when missing or not visible to you.',
      args: { id: { description: 'A global id, as an `id` field answered it.' } },
      resolve: (_root, { id }, ctx, _info, resolveNode) => {
        const checked = checkedGlobalId(id);
        return visibleNode(checked, async () => resolveNode(checked), ctx);
      },
    },
    nodesQueryOptions: false,
    // Descriptions for the Relay boilerplate, which GraphiQL shows like any other field.
    idFieldOptions: { description: 'A globally unique id of this object, for `node(id:)`; opaque, do not parse it.' },
    cursorFieldOptions: { description: 'An opaque position in the list: pass it as `after` (or `before`) to get the items after (or before) this one.' },
    nodeFieldOptions: { description: 'The item at this position of the list.' },
    edgesFieldOptions: { description: 'The items of this page, in order, each with its cursor.' },
    pageInfoFieldOptions: { description: 'Where this page sits in the whole list: whether there is more, and the cursors to get it.' },
    hasNextPageFieldOptions: { description: 'True when there are more items after this page (ask again with `after: endCursor`).' },
    hasPreviousPageFieldOptions: { description: 'True when there are items before this page (ask again with `before: startCursor` and `last`).' },
    startCursorFieldOptions: { description: "The cursor of this page's first item; null when the page is empty." },
    endCursorFieldOptions: { description: "The cursor of this page's last item (the `after` of the next page); null when the page is empty." },
    firstArgOptions: { description: 'Return at most this many items from the start (after `after`, if given).' },
    afterArgOptions: { description: 'Return the items after this cursor (an `endCursor` or an edge `cursor` from an earlier page).' },
    lastArgOptions: { description: 'Return at most this many items from the end (before `before`, if given).' },
    beforeArgOptions: { description: 'Return the items before this cursor (a `startCursor` or an edge `cursor` from an earlier page).' },
  },
  errors: { defaultTypes: [] },
});

builder.queryType({ description: 'Reads: everything here obeys the same visibility rules.' });
builder.subscriptionType({
  description: 'Live updates, over Server-Sent Events (`Accept: text/event-stream`) or the graphql-ws WebSocket protocol at /graphql.',
});
builder.mutationType({
  description: 'Writes. Each takes one `input` and returns a union of its Success type and the typed errors it can fail with.',
});
