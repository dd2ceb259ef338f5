import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import { getOperationAST, GraphQLError } from 'graphql';
import { useCSRFPrevention } from '@graphql-yoga/plugin-csrf-prevention';
import { createFetch } from '@whatwg-node/fetch';
import { createYoga, type Plugin, type YogaServerInstance } from 'graphql-yoga';
import type { BlobStore } from '../blobs/blob-store.js';
import type { Database } from '../db/database.js';
import { AuthenticationError } from '../domain/errors.js';
import type { GraphQLContext } from '../graphql/context.js';
import { schema } from '../graphql/schema.js';
import type { Logger } from '../logger.js';
import { readAuthentication } from '../services/accounts/authenticate.js';
import { LoginThrottle } from '../services/accounts/login-throttle.js';
import type { ServiceContext, ServiceSettings } from '../services/context.js';
import { type DomainEventPublisher, InProcessEventBus } from '../services/pipeline/events.js';
import { isDatabaseUnavailable } from '../services/prisma-errors.js';
import type { DownloadCounter } from '../services/downloads/download-counter.js';
import { downloadRoutes, uploadRoute } from './blob-routes.js';
import { GRAPHIQL_TABS } from './graphiql-tabs.js';
import { internalError, markHandled, reportUnexpected, serviceUnavailableError } from './faults.js';
import { accessLog } from './access-log.js';
import { compression } from './compression.js';
import { eventIds } from './event-ids.js';
import { graphqlMetrics, metricsRoute, StoreMetrics } from './metrics.js';
import { requestIds } from './request-id.js';
import { hideSuggestions, inputGuards } from './input-guards.js';
import { strictMultipart } from './multipart.js';
import { oneLoginPerRequest } from './one-login-per-request.js';
import { DEFAULT_LIVE_SETTINGS, LiveUpdates, type LiveSettings } from '../services/live/live-updates.js';
import { uiRoutes } from './ui-routes.js';
import { yogaLogger } from './yoga-logging.js';
import { requestContext } from '../request-context.js';
import { readCache, type ReadCacheSettings } from './read-cache.js';
import { requestBodyLimit } from './request-body-limit.js';
import { documentCache } from './document-cache.js';

export interface AppOptions {
  db: Database;
  logger: Logger;
  settings: ServiceSettings;
  blobs: BlobStore;
  limits: {
    maxQueryDepth: number;
    maxQueryCost: number;
    /** Largest file in a multipart GraphQL request: Yoga reads those into memory, so big content goes through POST /uploads. */
    maxMultipartBytes: number;
  };
  /**
   * Origins (scheme://host[:port]) whose web pages may call the store from a
   * browser with credentials (STORE_CORS_ORIGINS). Empty: same origin only.
   */
  corsOrigins?: readonly string[];
  /**
   * Take the client address from the last X-Forwarded-For entry (the one the
   * store's own reverse proxy added) rather than from the connection
   * (STORE_TRUST_PROXY). Only behind a proxy: otherwise clients choose it.
   */
  trustProxy?: boolean;
  /** The clock; tests inject their own. */
  now?: () => Date;
  /** Receives the events of committed writes; an in-process bus by default. */
  events?: DomainEventPublisher;
  live?: LiveSettings;
  /** Counts downloads for the statistics; the caller starts and stops its flushing. */
  downloadCounter: DownloadCounter;
  /** The Prometheus metrics; a registry of the app's own by default. */
  metrics?: StoreMetrics;
  /** When set, GET /metrics asks for this bearer token (STORE_METRICS_TOKEN); otherwise it is public. */
  metricsToken?: string;
  /** Keep whole answers to queries while nothing they show changed (STORE_READ_CACHE); off when absent. */
  readCache?: ReadCacheSettings | null;
}

/** The most tokens a GraphQL document may have (graphql-armor refuses more while parsing). */
const MAX_TOKENS = 5000;
/**
 * Either header marks a request as sent by a program rather than by a form
 * on another site: browsers cannot add custom headers to a cross-site form
 * post without a CORS preflight, which only STORE_CORS_ORIGINS pass.
 */
export const CSRF_HEADERS = ['x-graphql-yoga-csrf', 'apollo-require-preflight'] as const;

/** What Node's http server passes along with each request (nothing when tests call `app.fetch`). */
export interface StoreServerContext {
  req?: { socket?: { remoteAddress?: string } };
}


/** The client's address: the connection's peer, or behind a trusted proxy the address the proxy saw. */
function clientAddressOf(request: Request, server: StoreServerContext, trustProxy: boolean): string | null {
  if (trustProxy) {
    const forwarded = request.headers.get('x-forwarded-for')?.split(',').pop()?.trim();
    if (forwarded) return forwarded;
  }
  return server.req?.socket?.remoteAddress ?? null;
}

/** The Yoga app, plus this process's live updates (the WebSocket server and shutdown need them). */
export type StoreApp = YogaServerInstance<StoreServerContext, GraphQLContext> & { live: LiveUpdates };

/** What graphql-ws hands Yoga's context factory instead of a Request: the connection's parameters. */
interface WebSocketInitialContext {
  connectionParams?: Readonly<Record<string, unknown>>;
}

/** The Authorization of a graphql-ws connection: `{"authorization": "Bearer ..."}` in its connection parameters. */
function connectionAuthorization(params: WebSocketInitialContext['connectionParams']): string | null {
  const value = params?.authorization ?? params?.Authorization;
  return typeof value === 'string' ? value : null;
}

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

/** Where GraphQL is served (HTTP, SSE and graphql-ws alike). */
const GRAPHQL_PATH = '/graphql';

/** Room for the multipart envelope (operations, map, part headers) around the files themselves. */
const MULTIPART_ENVELOPE_BYTES = 1024 * 1024;

/**
 * A query the database could not serve answers no data at all, so that a
 * null cannot be read as "not found". A mutation keeps its data: a mutation
 * earlier in the same document may have committed, and says so.
 */
function noDataWhenUnavailable(logger: Logger): Plugin {
  return {
    onExecute({ args }) {
      if (getOperationAST(args.document, args.operationName)?.operation !== 'query') return;
      return {
        onExecuteDone({ result, setResult }) {
          if (!('errors' in result) || !result.errors) return;
          const unavailable = result.errors.filter((error) => error.extensions?.code === 'SERVICE_UNAVAILABLE' || isDatabaseUnavailable(error.originalError));
          if (unavailable.length === 0) return;
          // Masking (which logs) may not have seen these yet: they are replaced here.
          for (const error of unavailable) if (error.extensions?.code !== 'SERVICE_UNAVAILABLE') reportUnexpected(logger, error);
          setResult({ errors: [serviceUnavailableError()] });
        },
      };
    },
  };
}

/** Remembers the signed-in user of the request being handled, for its access log line. */
function noteUser<A extends { userId: number } | null>(actor: A): A {
  const current = requestContext.getStore();
  if (current && actor) current.userId = actor.userId;
  return actor;
}

/** The whole HTTP surface of the store as a fetch handler (`app.fetch` in tests, Node's http server in production). */
export function createApp(options: AppOptions): StoreApp {
  const now = options.now ?? (() => new Date());
  const { db, logger } = options;
  const live = new LiveUpdates(db, options.live ?? DEFAULT_LIVE_SETTINGS, logger);
  const events = live.publisher(options.events ?? new InProcessEventBus());
  const loginThrottle = new LoginThrottle();
  const metrics = options.metrics ?? new StoreMetrics(db);
  metrics.observedGauge('charmstore_live_subscribers', 'Live-update subscriptions open in this process (SSE and WebSocket).', () => live.feed.listenerCount);
  const webhookAttempts = metrics.counter('charmstore_webhook_deliveries_total', 'Webhook delivery attempts by this process, by outcome (delivered, retry, failed: given up).', ['outcome']);
  if (live.webhooks) live.webhooks.onAttempt = (outcome) => webhookAttempts.inc({ outcome });
  /**
   * Each signed-in GraphQL request's authentication, started as soon as its
   * headers are in (earlyAuthentication), so that the token's statement runs
   * while Yoga reads and parses the body; the context factory takes it from
   * here, and only then records the token's use: a request refused before
   * changes nothing.
   */
  const startedAuthentications = new WeakMap<Request, ReturnType<typeof readAuthentication>>();
  const earlyAuthentication: Plugin = {
    onRequest({ request, url }) {
      if (request.method !== 'POST' || url.pathname !== GRAPHQL_PATH || !request.headers.has('authorization')) return;
      const started = readAuthentication(db.sql, request.headers.get('authorization'), now());
      // A request refused before its context is built (a malformed body, say) leaves it unread.
      started.catch(() => undefined);
      startedAuthentications.set(request, started);
    },
  };
  const authenticated = async (
    authorization: string | null,
    clientAddress: string | null,
    request?: Request,
  ): Promise<{ services: ServiceContext; readVersion: bigint | null }> => {
    const early = request && startedAuthentications.get(request);
    if (request) startedAuthentications.delete(request);
    const { actor, readVersion, recordUse } = await (early ?? readAuthentication(db.sql, authorization, now()));
    await recordUse();
    const services: ServiceContext = {
      prisma: db.prisma,
      sql: db.sql,
      actor: noteUser(actor),
      now,
      settings: options.settings,
      blobs: options.blobs,
      events,
      logger,
      clientAddress,
      loginThrottle,
    };
    return { services, readVersion };
  };
  const servicesWith = async (authorization: string | null, clientAddress: string | null = null): Promise<ServiceContext> =>
    (await authenticated(authorization, clientAddress)).services;
  const servicesFor = (request: Request, clientAddress: string | null = null) => servicesWith(request.headers.get('authorization'), clientAddress);
  const yoga = createYoga<StoreServerContext, GraphQLContext>({
    schema,
    graphqlEndpoint: GRAPHQL_PATH,
    // Yoga's multipart parser keeps files in memory; past this size it answers 413.
    fetchAPI: createFetch({
      formDataLimits: { fileSize: options.limits.maxMultipartBytes, files: 10, fields: 10, fieldSize: 1024 * 1024 },
    }),
    // Yoga's own body limit (25 MB by default) counts every body through a stream: requestBodyLimit below replaces it.
    maxRequestBodySize: false,
    healthCheckEndpoint: '/__yoga_health',
    // Yoga's default echoes any Origin with credentials allowed. Here only the
    // configured origins get CORS headers; any other origin gets none, so a
    // browser keeps that site's scripts from reading the answers.
    cors: (request) => {
      const origin = request.headers.get('origin');
      if (origin === null || !(options.corsOrigins ?? []).includes(origin)) return false;
      return { origin, credentials: true, methods: ['GET', 'HEAD', 'POST'], allowedHeaders: ['authorization', 'content-type', ...CSRF_HEADERS], maxAge: 600 };
    },
    landingPage: false,
    // documentCache below does the same per document without rebuilding a key from every rule's name per request.
    parserAndValidationCache: false,
    logging: yogaLogger(logger),
    maskedErrors: {
      maskError: (error) => {
        const original = error instanceof GraphQLError ? error.originalError : error;
        if (error instanceof GraphQLError && isRequestTooLarge(error)) {
          markHandled(error);
          return requestTooLarge(options.limits.maxMultipartBytes);
        }
        // Yoga describes the parse failure of a bad body (the JSON parser's own words) in extensions.originalError: the message says enough.
        if (error instanceof GraphQLError && !original && 'originalError' in error.extensions) {
          const { originalError: _internal, ...extensions } = error.extensions;
          return new GraphQLError(error.message, { nodes: error.nodes, path: error.path, extensions });
        }
        if (error instanceof GraphQLError && !original) return error;
        if (error instanceof GraphQLError && original instanceof GraphQLError) {
          // Resolvers (and Pothos, for malformed ids and cursors) throw plain GraphQLErrors only for bad input.
          if (error.extensions.code !== undefined) return error;
          return new GraphQLError(error.message, { nodes: error.nodes, path: error.path, extensions: { ...error.extensions, code: 'BAD_USER_INPUT' } });
        }
        reportUnexpected(logger, error);
        return isDatabaseUnavailable(original ?? error) ? serviceUnavailableError() : internalError();
      },
    },
    graphiql: { title: 'Charm store', defaultTabs: GRAPHIQL_TABS, shouldPersistHeaders: true },
    // GraphiQL's bundle is a ~9 MB string module that costs the process about
    // 75 MiB of resident memory once loaded: load it on the first GraphiQL
    // page request, not at start-up (API clients never need it).
    renderGraphiQL: async (graphiqlOptions) => (await import('@graphql-yoga/render-graphiql')).renderGraphiQL(graphiqlOptions),
    plugins: [
      requestIds(),
      metricsRoute(metrics, options.metricsToken),
      // Requests a browser sends cross-site without a preflight (multipart and
      // url-encoded forms, text/plain, GET) must carry one of CSRF_HEADERS.
      useCSRFPrevention({ requestHeaders: [...CSRF_HEADERS] }),
      oneLoginPerRequest(),
      earlyAuthentication,
      healthRoutes(db),
      uiRoutes(),
      uploadRoute(servicesFor, options.settings.maxUploadBytes, logger, metrics),
      downloadRoutes(servicesFor, options.downloadCounter, logger, metrics),
      graphqlMetrics(metrics),
      noDataWhenUnavailable(logger),
      inputGuards({ maxNesting: Math.max(64, 4 * options.limits.maxQueryDepth), maxTokens: MAX_TOKENS }),
      hideSuggestions(),
      strictMultipart(),
      EnvelopArmorPlugin({
        maxDepth: { n: options.limits.maxQueryDepth },
        costLimit: { maxCost: options.limits.maxQueryCost },
        maxAliases: { n: 30 },
        maxDirectives: { n: 30 },
        maxTokens: { n: MAX_TOKENS },
        blockFieldSuggestion: { enabled: true },
      }),
      // After graphql-armor, whose parser (token limit) and rules it keeps the results of.
      documentCache(),
      // After the plugins that watch execution (metrics, outages): a kept answer skips only the execution itself.
      ...(options.readCache ? [readCache(db, options.readCache, now)] : []),
      eventIds(),
      // It replaces the response the others have finished (headers included).
      compression(),
      // After compression, so the line and the metrics show the status sent (a GraphiQL revalidation is a 304).
      accessLog(logger, metrics),
      // STORE_MAX_MULTIPART_BYTES plus the envelope; after every plugin that picks the request parser (strictMultipart).
      requestBodyLimit(options.limits.maxMultipartBytes + MULTIPART_ENVELOPE_BYTES),
    ],
    context: async (initial): Promise<GraphQLContext> => {
      // A Request over HTTP (and SSE); the connection parameters over graphql-ws (server.ts).
      const request = initial.request as Request | undefined;
      const authorization = request ? request.headers.get('authorization') : connectionAuthorization((initial as WebSocketInitialContext).connectionParams);
      const clientAddress = request ? clientAddressOf(request, { req: (initial as StoreServerContext).req }, options.trustProxy ?? false) : null;
      try {
        const { services, readVersion } = await authenticated(authorization, clientAddress, request);
        return {
          prisma: db.prisma,
          services,
          authorization,
          live,
          lastEventId: request?.headers.get('last-event-id') ?? null,
          deliveredEventId: null,
          readVersion,
        };
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
  return Object.assign(yoga, { live });
}

/**
 * Yoga's refusals of a body past maxRequestBodySize or a file past the
 * multipart file limit. A body cut off while the multipart parser reads it
 * reaches us as that parser's 400, recognised by Yoga's message.
 */
function isRequestTooLarge(error: GraphQLError): boolean {
  const code = error.extensions?.code;
  return code === 'REQUEST_ENTITY_TOO_LARGE' || (code === 'BAD_REQUEST' && error.message.endsWith('Request body too large'));
}

/** Yoga's 413 (body or file past the limit), saying which limit and where bigger content goes. */
function requestTooLarge(maxMultipartBytes: number): GraphQLError {
  return new GraphQLError(
    `The request is larger than the limit of ${maxMultipartBytes} bytes for files in a multipart request (STORE_MAX_MULTIPART_BYTES); ` +
      'send bigger content with POST /uploads and push it by its uploadId',
    { extensions: { code: 'REQUEST_ENTITY_TOO_LARGE', http: { status: 413 } } },
  );
}
