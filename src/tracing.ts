import type { Logger } from './logger.js';

/** Stops the tracing SDK, exporting what it still holds. */
export type StopTracing = () => Promise<void>;

/**
 * Starts OpenTelemetry tracing (HTTP server spans, PostgreSQL query spans,
 * exported over OTLP/HTTP to `endpoint`). The SDK is imported here, only
 * when an endpoint is configured, so a store without one never loads it.
 * Instrumentation patches `http` and `pg` when they are loaded after this,
 * so it runs before the database and server start.
 */
export async function startTracing(endpoint: string, logger: Logger): Promise<StopTracing> {
  const [{ NodeSDK }, { OTLPTraceExporter }, { HttpInstrumentation }, { PgInstrumentation }] = await Promise.all([
    import('@opentelemetry/sdk-node'),
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/instrumentation-http'),
    import('@opentelemetry/instrumentation-pg'),
  ]);
  process.env.OTEL_SERVICE_NAME ??= 'charmstore';
  const sdk = new NodeSDK({
    traceExporter: new OTLPTraceExporter({ url: `${endpoint.replace(/\/$/, '')}/v1/traces` }),
    instrumentations: [new HttpInstrumentation(), new PgInstrumentation()],
  });
  sdk.start();
  logger.info({ endpoint }, 'OpenTelemetry tracing started');
  return async () => {
    await sdk.shutdown().catch((error: unknown) => logger.warn({ err: error }, 'OpenTelemetry shutdown failed'));
  };
}
