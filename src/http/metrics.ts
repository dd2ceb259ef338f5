import { timingSafeEqual } from 'node:crypto';
import { getOperationAST, type ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Database } from '../db/database.js';
import { requestContext } from '../request-context.js';

export const METRICS_PATH = '/metrics';

/** Seconds; from a cached lookup (~1 ms) to a big push or a slow database (~10 s). */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** Client-chosen operation names become label values: only this many distinct ones, the rest count as "other". */
const MAX_OPERATION_NAMES = 200;
const OPERATION_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/**
 * The store's Prometheus metrics, in a registry of their own (several apps
 * in one process, as in tests, do not collide). Other parts of the store
 * (live updates, webhooks) add theirs with `counter`/`gauge`, which return
 * the existing metric when one of that name is registered already.
 */
export class StoreMetrics {
  readonly registry = new Registry();
  readonly httpRequests = new Counter({
    name: 'charmstore_http_requests_total',
    help: 'HTTP requests answered, by method, route (graphql, archives, resources, uploads, metrics, health, graphiql, other) and status code.',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });
  readonly httpDuration = new Histogram({
    name: 'charmstore_http_request_duration_seconds',
    help: 'Time from a request arriving to its response headers, by route.',
    labelNames: ['route'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly graphqlOperations = new Counter({
    name: 'charmstore_graphql_operations_total',
    help: 'GraphQL operations, by operation name ("anonymous", "other" past 200 names), type (query, mutation, subscription, unknown) and outcome (ok, or the first error\'s code, e.g. GRAPHQL_VALIDATION_FAILED, INTERNAL_SERVER_ERROR, SERVICE_UNAVAILABLE). Typed errors returned as data (ValidationError...) are ok.',
    labelNames: ['operation', 'type', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly graphqlDuration = new Histogram({
    name: 'charmstore_graphql_operation_duration_seconds',
    help: 'Time of a GraphQL request from arrival to its result, by operation name and type.',
    labelNames: ['operation', 'type'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly uploadBytes = new Counter({
    name: 'charmstore_upload_bytes_total',
    help: 'Bytes stored by POST /uploads.',
    registers: [this.registry],
  });
  readonly downloadBytes = new Counter({
    name: 'charmstore_download_bytes_total',
    help: 'Bytes of archive and resource downloads answered (their Content-Length), by kind (archive, resource).',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  private readonly operationNames = new Set<string>();

  constructor(db: Database) {
    collectDefaultMetrics({ register: this.registry, prefix: 'charmstore_' });
    const pool = (state: 'inUse' | 'idle' | 'waiting') => () => db.poolStats()?.[state] ?? 0;
    new Gauge({
      name: 'charmstore_db_pool_connections_in_use',
      help: 'PostgreSQL connections running a query or transaction (0 on PGlite).',
      registers: [this.registry],
      collect() {
        this.set(pool('inUse')());
      },
    });
    new Gauge({
      name: 'charmstore_db_pool_connections_idle',
      help: 'PostgreSQL connections open and idle (0 on PGlite).',
      registers: [this.registry],
      collect() {
        this.set(pool('idle')());
      },
    });
    new Gauge({
      name: 'charmstore_db_pool_waiting',
      help: 'Requests waiting for a PostgreSQL connection (0 on PGlite).',
      registers: [this.registry],
      collect() {
        this.set(pool('waiting')());
      },
    });
  }

  /** A counter in the store's registry (the existing one if that name is taken), for other modules' own metrics. */
  counter<L extends string>(name: string, help: string, labelNames: readonly L[] = []): Counter<L> {
    return (this.registry.getSingleMetric(name) as Counter<L> | undefined) ?? new Counter({ name, help, labelNames, registers: [this.registry] });
  }

  /** A gauge in the store's registry (the existing one if that name is taken). */
  gauge<L extends string>(name: string, help: string, labelNames: readonly L[] = []): Gauge<L> {
    return (this.registry.getSingleMetric(name) as Gauge<L> | undefined) ?? new Gauge({ name, help, labelNames, registers: [this.registry] });
  }

  /** A gauge whose value is read at each scrape. */
  observedGauge(name: string, help: string, read: () => number): void {
    if (this.registry.getSingleMetric(name)) return;
    new Gauge({
      name,
      help,
      registers: [this.registry],
      collect() {
        this.set(read());
      },
    });
  }

  /** The label for a client-chosen operation name, bounded in length and in number. */
  operationLabel(name: string | null | undefined): string {
    if (!name) return 'anonymous';
    if (!OPERATION_NAME.test(name)) return 'other';
    if (this.operationNames.has(name)) return name;
    if (this.operationNames.size >= MAX_OPERATION_NAMES) return 'other';
    this.operationNames.add(name);
    return name;
  }
}

/** The route label of a path: a handful of values, never the path itself. */
export function routeOf(pathname: string): string {
  if (pathname === '/graphql') return 'graphql';
  if (pathname.startsWith('/archives/')) return 'archives';
  if (pathname.startsWith('/resources/')) return 'resources';
  if (pathname === '/uploads') return 'uploads';
  if (pathname === METRICS_PATH) return 'metrics';
  if (pathname === '/health' || pathname === '/readiness') return 'health';
  return 'other';
}

/**
 * Records the GraphQL operation of a request (name and type into the request
 * context, for the access log) and its outcome and duration into the metrics.
 */
export function graphqlMetrics(metrics: StoreMetrics): Plugin {
  return {
    onParams({ params }) {
      const store = requestContext.getStore();
      if (store) store.operation = { name: metrics.operationLabel(params.operationName), type: 'unknown' };
    },
    onParse() {
      return ({ result }) => {
        const store = requestContext.getStore();
        if (!store?.operation || !result || result instanceof Error || !('kind' in result)) return;
        const named = store.operation.name;
        const operation = getOperationAST(result, named === 'anonymous' || named === 'other' ? undefined : named);
        if (!operation) return;
        store.operation = { name: metrics.operationLabel(operation.name?.value), type: operation.operation };
      };
    },
    onResultProcess({ result }) {
      const store = requestContext.getStore();
      if (!store?.operation) return;
      const { name, type } = store.operation;
      const first = Array.isArray(result) ? result[0] : result;
      const errors = first && typeof first === 'object' && 'errors' in first ? (first as ExecutionResult).errors : undefined;
      const code = errors?.[0]?.extensions?.code;
      const outcome = !errors || errors.length === 0 ? 'ok' : typeof code === 'string' ? code : 'GRAPHQL_ERROR';
      metrics.graphqlOperations.inc({ operation: name, type, outcome });
      metrics.graphqlDuration.observe({ operation: name, type }, (performance.now() - store.startedAt) / 1000);
    },
  };
}

/**
 * `GET /metrics` in Prometheus' text format. With a token configured
 * (STORE_METRICS_TOKEN) it asks for `Authorization: Bearer <token>`;
 * without one it is public.
 */
export function metricsRoute(metrics: StoreMetrics, token: string | undefined): Plugin {
  return {
    async onRequest({ request, url, endResponse, fetchAPI }) {
      if (url.pathname !== METRICS_PATH) return;
      if (token !== undefined && !bearerMatches(request.headers.get('authorization'), token)) {
        endResponse(
          new fetchAPI.Response(JSON.stringify({ error: 'The metrics need the bearer token set in STORE_METRICS_TOKEN' }), {
            status: 401,
            headers: { 'content-type': 'application/json', 'www-authenticate': 'Bearer' },
          }),
        );
        return;
      }
      endResponse(new fetchAPI.Response(await metrics.registry.metrics(), { headers: { 'content-type': metrics.registry.contentType, 'cache-control': 'no-store' } }));
    },
  };
}

function bearerMatches(header: string | null, token: string): boolean {
  const given = Buffer.from(header?.replace(/^Bearer\s+/i, '') ?? '');
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
