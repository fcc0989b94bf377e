import type { FastifyInstance } from 'fastify';
import { registry, type Clock, type Logger } from '../../core/index.js';
import type { RuntimeParts } from '../../runtime/index.js';
import { HealthAnswer, MetricsAnswer, ReadyAnswer, TAGS } from './schemas.js';

/** One dependency's readiness, for /readyz. */
export interface ReadinessCheck {
  readonly name: string;
  /** `detail` is for people; other fields (model version, age, ...) are passed through. */
  check(): Promise<{
    readonly ok: boolean;
    readonly detail: string;
    readonly [field: string]: unknown;
  }>;
}

export interface OpsOptions {
  /** Checks from the caller; a runtime's own checks are added for the names not given here. */
  readonly readiness: readonly ReadinessCheck[];
  readonly runtime?: RuntimeParts;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Longest a readiness check or the lag refresh may take before it counts as failed. 2 s. */
  readonly timeoutMs?: number;
}

/**
 * What the runtime can say about itself: the event log (answering a lag query), the event
 * processing (not stopped for good by an error no restart fixes), ClickHouse
 * (a ping) and the model live scoring serves (version and age; the empty model before the
 * first snapshot is still ready: it scores every visitor 0.5 until data arrives).
 */
export function runtimeReadiness(runtime: RuntimeParts, clock: Clock): ReadinessCheck[] {
  return [
    {
      name: 'log',
      check: async () => {
        const lag = await runtime.lag();
        const total = lag.reduce((sum, partition) => sum + partition.lag, 0);
        return { ok: true, detail: `${runtime.log.kind}, lag ${total}`, lag: total };
      },
    },
    {
      name: 'pipeline',
      check: async () => {
        const failure = runtime.processingFailure();
        return failure === undefined
          ? { ok: true, detail: 'processing' }
          : { ok: false, detail: `stopped: ${failure.message}` };
      },
    },
    {
      name: 'clickhouse',
      check: async () => {
        const ping = await runtime.clickhouse.client.ping();
        return {
          ok: ping.success,
          detail: ping.success
            ? runtime.clickhouse.engine
            : `${runtime.clickhouse.engine}: ${ping.error.message}`,
        };
      },
    },
    {
      name: 'model',
      check: async () => {
        const model = runtime.model();
        if (model === undefined) {
          return { ok: true, detail: 'live scoring is off in this process', version: null };
        }
        const created = model.parts.createdAt;
        const ageMs = created > 0 ? Math.max(0, clock.now() - created) : null;
        return {
          ok: true,
          detail:
            ageMs === null
              ? `${model.id}: no snapshot yet, serving the empty model`
              : `${model.id}, built ${(ageMs / 1000).toFixed(1)} s ago from ${model.parts.updates} examples`,
          id: model.id,
          version: model.version,
          ageMs,
          examples: model.parts.updates,
          auc: finiteOrNull(model.metrics.auc),
          logLoss: finiteOrNull(model.metrics.logLoss),
        };
      },
    },
  ];
}

/** `/healthz` (the process answers), `/readyz` (its dependencies do) and `/metrics`. */
export async function opsPlugin(app: FastifyInstance, options: OpsOptions): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 2_000;
  const given = new Set(options.readiness.map((check) => check.name));
  const checks = [
    ...options.readiness,
    ...(options.runtime === undefined
      ? []
      : runtimeReadiness(options.runtime, options.clock).filter((c) => !given.has(c.name))),
  ];

  app.get(
    '/healthz',
    {
      schema: {
        summary: 'Liveness: the process answers',
        tags: [TAGS.operations],
        response: { 200: HealthAnswer },
      },
    },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/readyz',
    {
      schema: {
        summary: 'Readiness of the event log, event processing, ClickHouse and the live model',
        description: '200 when every check passes, else 503; each check says why.',
        tags: [TAGS.operations],
        response: { 200: ReadyAnswer, 503: ReadyAnswer },
      },
    },
    async (_request, reply) => {
      const results = await Promise.all(
        checks.map(async (check) => {
          try {
            return { name: check.name, ...(await withTimeout(check.check(), timeoutMs)) };
          } catch (error) {
            return { name: check.name, ok: false, detail: (error as Error).message };
          }
        }),
      );
      const ready = results.every((result) => result.ok);
      return reply
        .code(ready ? 200 : 503)
        .send({ status: ready ? 'ready' : 'not_ready', checks: results });
    },
  );

  app.get(
    '/metrics',
    {
      schema: {
        summary: 'Prometheus metrics',
        description:
          'Ingest rate, consumer lag per partition, open sessions, score latency, failed events ' +
          'by reason, model AUC and log-loss, and the process metrics.',
        tags: [TAGS.operations],
        response: { 200: MetricsAnswer },
      },
    },
    async (_request, reply) => {
      if (options.runtime !== undefined) {
        // NOTE: the lag gauge is refreshed by a lag query, so each scrape asks for it (a Kafka
        // admin call in the distributed shape); a failure leaves the last values in place.
        try {
          await withTimeout(options.runtime.lag(), timeoutMs);
        } catch (error) {
          options.logger.warn('metrics_lag_failed', { err: error });
        }
      }
      reply.header('content-type', registry.contentType);
      return registry.metrics();
    },
  );
}

function finiteOrNull(value: number): number | null {
  return Number.isFinite(value) ? value : null;
}

async function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
