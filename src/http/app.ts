import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import { GraphQLError } from 'graphql';
import { createYoga, type Plugin, type YogaServerInstance } from 'graphql-yoga';
import type { Database } from '../db/database.js';
import { AuthenticationError } from '../domain/errors.js';
import type { GraphQLContext } from '../graphql/context.js';
import { schema } from '../graphql/schema.js';
import type { Logger } from '../logger.js';
import { authenticate } from '../services/accounts/authenticate.js';
import type { ServiceSettings } from '../services/context.js';

export interface AppOptions {
  db: Database;
  logger: Logger;
  settings: ServiceSettings;
  limits: { maxQueryDepth: number; maxQueryCost: number };
  /** The clock; tests inject their own. */
  now?: () => Date;
}

export type StoreApp = YogaServerInstance<Record<string, never>, GraphQLContext>;

const DEFAULT_QUERY = `# Welcome to the charm store.
# Sign in with the login mutation, then add the header
#   {"Authorization": "Bearer <token>"}
# in the Headers tab below.
query WhoAmI {
  viewer {
    user { username isAdmin }
    groups { name }
    expiresAt
  }
}
`;

/** /health answers while the process is up; /readiness only while the database answers too. */
function healthRoutes(db: Database): Plugin {
  return {
    async onRequest({ url, endResponse }) {
      if (url.pathname === '/health') {
        endResponse(Response.json({ status: 'ok' }));
      } else if (url.pathname === '/readiness') {
        try {
          await db.ping();
          endResponse(Response.json({ status: 'ready' }));
        } catch {
          endResponse(Response.json({ status: 'database unavailable' }, { status: 503 }));
        }
      }
    },
  };
}

/** The whole HTTP surface of the store as a fetch handler (`app.fetch` in tests, Node's http server in production). */
export function createApp(options: AppOptions): StoreApp {
  const now = options.now ?? (() => new Date());
  const { db, logger } = options;
  return createYoga<Record<string, never>, GraphQLContext>({
    schema,
    graphqlEndpoint: '/graphql',
    healthCheckEndpoint: '/__yoga_health',
    landingPage: false,
    logging: {
      debug: (...args) => logger.debug(args),
      info: (...args) => logger.info(args),
      warn: (...args) => logger.warn(args),
      error: (...args) => logger.error(args),
    },
    maskedErrors: {
      maskError: (error, message) => {
        const original = error instanceof GraphQLError ? error.originalError : error;
        if (error instanceof GraphQLError && !original) return error;
        if (error instanceof GraphQLError && original instanceof GraphQLError) return error;
        logger.error({ err: original ?? error }, 'unexpected error while handling a request');
        return new GraphQLError(message, { extensions: { code: 'INTERNAL_SERVER_ERROR' } });
      },
    },
    graphiql: { title: 'Charm store', defaultQuery: DEFAULT_QUERY, shouldPersistHeaders: true },
    renderGraphiQL,
    plugins: [
      healthRoutes(db),
      EnvelopArmorPlugin({
        maxDepth: { n: options.limits.maxQueryDepth },
        costLimit: { maxCost: options.limits.maxQueryCost },
        maxAliases: { n: 30 },
        maxDirectives: { n: 30 },
        maxTokens: { n: 5000 },
        blockFieldSuggestion: { enabled: true },
      }),
    ],
    context: async ({ request }): Promise<GraphQLContext> => {
      const services = { prisma: db.prisma, actor: null, now, settings: options.settings };
      try {
        const actor = await authenticate(db.prisma, request.headers.get('authorization'), now());
        return { prisma: db.prisma, services: { ...services, actor } };
      } catch (error) {
        if (error instanceof AuthenticationError) {
          throw new GraphQLError(error.message, {
            extensions: { code: 'AUTHENTICATION_ERROR', http: { status: 401, headers: { 'WWW-Authenticate': 'Bearer' } } },
          });
        }
        throw error;
      }
    },
  });
}
