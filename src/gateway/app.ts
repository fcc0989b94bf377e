import Fastify, { type FastifyInstance } from 'fastify';
import { registry, type Clock, type Logger } from '../core/index.js';
import type { SiteConfig } from '../config/index.js';
import type { TopicNames } from '../ingest/index.js';
import type { RuntimeParts } from '../runtime/index.js';
import { collectorPlugin, type CollectorLog, type GeoLookup } from './collector/index.js';
import type { RateLimitOptions } from './collector/rate-limiter.js';
import { trackerPlugin } from './tracker/plugin.js';

/** One dependency's readiness, for /readyz. */
export interface ReadinessCheck {
  readonly name: string;
  check(): Promise<{ ok: boolean; detail: string }>;
}

export interface AppDeps {
  readonly sites: readonly SiteConfig[];
  readonly log: CollectorLog;
  readonly topics: TopicNames;
  readonly geo: GeoLookup;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly rateLimit: RateLimitOptions | false;
  readonly readiness: readonly ReadinessCheck[];
  /** Trust X-Forwarded-For from a proxy in front (for the client address). */
  readonly trustProxy?: boolean;
  /**
   * What the runtime runs (scores feed, storage, model), for the REST, live and dashboard
   * plugins; without it (collector-only tests) only the collector and health routes exist.
   */
  readonly runtime?: RuntimeParts;
}

/**
 * The HTTP gateway, built but not listening (tests use inject(); the runtime calls listen()).
 * One encapsulated plugin per feature.
 */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    logger: false,
    trustProxy: deps.trustProxy ?? false,
    // Bodies are bounded by each plugin (the collector's 500 KB).
    bodyLimit: 1024 * 1024,
  });

  await app.register(collectorPlugin, {
    sites: deps.sites,
    log: deps.log,
    topics: deps.topics,
    geo: deps.geo,
    clock: deps.clock,
    logger: deps.logger,
    rateLimit: deps.rateLimit,
  });
  await app.register(trackerPlugin);

  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (_request, reply) => {
    const results = await Promise.all(
      deps.readiness.map(async (check) => {
        try {
          return { name: check.name, ...(await check.check()) };
        } catch (error) {
          return { name: check.name, ok: false, detail: (error as Error).message };
        }
      }),
    );
    const ready = results.every((result) => result.ok);
    return reply
      .code(ready ? 200 : 503)
      .send({ status: ready ? 'ready' : 'not_ready', checks: results });
  });

  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', registry.contentType);
    return registry.metrics();
  });

  return app;
}
