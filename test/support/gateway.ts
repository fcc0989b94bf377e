import type { FastifyInstance } from 'fastify';
import { silentLogger, type Logger } from '../../src/core/index.js';
import type { Config } from '../../src/config/index.js';
import { buildApp } from '../../src/gateway/index.js';
import type { RuntimeParts } from '../../src/runtime/index.js';

/**
 * The gateway over a runtime's parts, as `pathcast start` builds it, but without rate limits
 * and (unless a logger is given) without logs: what tests pass as the Runtime's buildApp.
 */
export function gatewayFor(
  config: Config,
  parts: RuntimeParts,
  logger: Logger = silentLogger,
): Promise<FastifyInstance> {
  return buildApp({
    sites: config.sites.sites,
    log: parts.log,
    topics: parts.topics,
    geo: parts.geo,
    clock: parts.clock,
    logger,
    rateLimit: false,
    readiness: [],
    runtime: parts,
  });
}
