import Fastify, { type FastifyInstance } from 'fastify';
import fastifyWebsocket from '@fastify/websocket';
import type { Clock, Logger } from '../core/index.js';
import type { SiteConfig, TrustProxy } from '../config/index.js';
import type { TopicNames } from '../ingest/index.js';
import type { RuntimeParts } from '../runtime/index.js';
import { collectorPlugin, type CollectorLog, type GeoLookup } from './collector/index.js';
import type { RateLimitOptions } from './collector/rate-limiter.js';
import { trackerPlugin } from './tracker/plugin.js';
import { livePlugin } from './live/index.js';
import { dashboardPlugin } from './dashboard/index.js';
import { opsPlugin, registerDocs, restPlugin, type ReadinessCheck } from './rest/index.js';

export type { ReadinessCheck };

export interface AppDeps {
  readonly sites: readonly SiteConfig[];
  readonly log: CollectorLog;
  readonly topics: TopicNames;
  readonly geo: GeoLookup;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly rateLimit: RateLimitOptions | false;
  readonly readiness: readonly ReadinessCheck[];
  /** Which proxies in front may name the client's address (PATHCAST_TRUST_PROXY); none by default. */
  readonly trustProxy?: TrustProxy;
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
    trustProxy: fastifyTrustProxy(deps.trustProxy ?? false),
    // Bodies are bounded by each plugin (the collector's 500 KB).
    bodyLimit: 1024 * 1024,
    // The REST :id routes answer 404 with a code for any id, even an absurdly long one, rather
    // than the router's bare 404 at its default 100 characters (percent-encoding included).
    routerOptions: { maxParamLength: 64 * 1024 },
  });
  // Before any route: swagger learns the routes as they are added.
  await registerDocs(app);

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
  if (deps.runtime !== undefined) {
    // NOTE: @fastify/websocket must be registered once per server (each registration adds its
    // own 'upgrade' listener); /v1/live and /api/live share this one. Clients send nothing big.
    if (!app.hasDecorator('websocketServer')) {
      await app.register(fastifyWebsocket, { options: { maxPayload: 4096 } });
    }
    const { sites, clock, logger } = deps;
    await app.register(livePlugin, { sites, scores: deps.runtime.scores, clock, logger });
    await app.register(dashboardPlugin, { sites, runtime: deps.runtime });
  }

  await app.register(opsPlugin, {
    readiness: deps.readiness,
    clock: deps.clock,
    logger: deps.logger,
    ...(deps.runtime === undefined ? {} : { runtime: deps.runtime }),
  });
  if (deps.runtime !== undefined) {
    await app.register(restPlugin, {
      sites: deps.sites,
      runtime: deps.runtime,
      geo: deps.geo,
      clock: deps.clock,
      logger: deps.logger,
    });
  }

  return app;
}

/** TrustProxy as fastify takes it: a list as one comma-separated string. */
function fastifyTrustProxy(trust: TrustProxy): boolean | string {
  return typeof trust === 'object' ? trust.join(',') : trust;
}
