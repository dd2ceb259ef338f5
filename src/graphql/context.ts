import type { PrismaClient } from '../db/database.js';
import type { ServiceContext } from '../services/context.js';

/** The per-request GraphQL context: the service context plus what resolvers need to load data. */
export interface GraphQLContext {
  services: ServiceContext;
  prisma: PrismaClient;
}
