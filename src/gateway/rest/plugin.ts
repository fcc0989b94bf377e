import type { FastifyInstance } from 'fastify';
import type { Clock, Logger } from '../../core/index.js';
import type { SiteConfig } from '../../config/index.js';
import {
  LIMITS,
  createEnricher,
  siteEnrichment,
  createEventProcessor,
  type EventProcessor,
} from '../../ingest/index.js';
import type { RuntimeParts } from '../../runtime/index.js';
import type { SessionizerOptions } from '../../sessionizer/index.js';
import { createFeatureHasher } from '../../scoring/index.js';
import type { GeoLookup } from '../collector/index.js';
import type { ProfileLookup, RestContext } from './context.js';
import { LatestScores } from './latest-scores.js';
import { crmThenHistory } from './profile-lookup.js';
import { sendError } from './rest-errors.js';
import { registerScoreRoute } from './score-route.js';
import { secretKeyAuth } from './secret-key.js';
import { registerSessionRoute } from './session-route.js';
import { registerVisitorRoute } from './visitor-route.js';

export interface RestOptions {
  readonly sites: readonly SiteConfig[];
  readonly runtime: RuntimeParts;
  readonly geo: GeoLookup;
  readonly clock: Clock;
  readonly logger: Logger;
  /** The pipeline's processor; by default one built like the runtime's (each site's enrichment). */
  readonly processor?: EventProcessor;
  /**
   * The live sessionizer's options, so /v1/score cuts sessions the same way; by default the
   * runtime's configured ones.
   */
  readonly sessionizer?: SessionizerOptions;
  /** CRM profiles for /v1/visitors; by default the runtime's CRM cache, then ClickHouse. */
  readonly profiles?: ProfileLookup;
  /** Most visitors whose latest live score is kept in memory. Default 100,000. */
  readonly latestScores?: number;
}

/**
 * The REST API: `POST /v1/score`, `GET /v1/sessions/:id` and `GET /v1/visitors/:id`, each
 * authorised by the site's secret key (`Authorization: Bearer <secretKey>`, or the HTTP Basic
 * user name). Encapsulated: its body parser and error handler apply to these routes only.
 */
export async function restPlugin(app: FastifyInstance, options: RestOptions): Promise<void> {
  const logger = options.logger.child({ component: 'rest' });
  const latest = new LatestScores(options.latestScores).follow(options.runtime.scores);
  app.addHook('onClose', async () => latest.close());
  const ctx: RestContext = {
    runtime: options.runtime,
    auth: secretKeyAuth(options.sites),
    latest,
    profiles: options.profiles ?? crmThenHistory(options.runtime, logger),
    logger,
  };

  // /v1/score reads its body itself, as the collector does (gzip, text/plain, bounded).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    '*',
    { parseAs: 'buffer', bodyLimit: LIMITS.batchBytes },
    (_request, body, done) => {
      done(null, body);
    },
  );
  app.setErrorHandler(
    (error: { statusCode?: number; code?: string; validation?: unknown }, request, reply) => {
      const route = request.routeOptions.url ?? 'unknown';
      if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || error.statusCode === 413) {
        return sendError(reply, route, 'batch_too_large');
      }
      if (error.validation !== undefined) {
        return sendError(reply, route, 'invalid_query', { reason: (error as Error).message });
      }
      if (error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || error.statusCode === 400) {
        return sendError(reply, route, 'invalid_json');
      }
      logger.error('rest_error', { err: error, url: request.url });
      return sendError(reply, route, 'internal_error');
    },
  );

  registerScoreRoute(app, ctx, {
    processor:
      options.processor ??
      createEventProcessor({
        enricher: createEnricher({ sites: siteEnrichment(options.sites) }),
        clock: options.clock,
      }),
    hasher: await createFeatureHasher(),
    geo: options.geo,
    clock: options.clock,
    sessionizer: options.sessionizer ?? options.runtime.config.sessions,
  });
  registerSessionRoute(app, ctx);
  registerVisitorRoute(app, ctx);
}
