import type { PrismaClient } from '../db/database.js';
import type { ServiceContext } from '../services/context.js';
import type { LiveUpdates } from '../services/live/live-updates.js';

/** The per-request GraphQL context: the service context plus what resolvers need to load data. */
export interface GraphQLContext {
  services: ServiceContext;
  prisma: PrismaClient;
  /** The Authorization header (or graphql-ws connection parameter) as sent: subscriptions check it again at each event. */
  authorization: string | null;
  /** This process's live updates (subscriptions). */
  live: LiveUpdates;
  /** The SSE `Last-Event-ID` header, where a reconnecting EventSource names the last event it received. */
  lastEventId: string | null;
  /** The id of the change a subscription resolver is delivering; src/http/event-ids.ts puts it into the result. */
  deliveredEventId: string | null;
  /** The database's read version, read with the caller's token before anything ran (src/http/read-cache.ts); null when not read. */
  readVersion: bigint | null;
}
