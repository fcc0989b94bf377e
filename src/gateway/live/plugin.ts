import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type {} from '@fastify/websocket';
import type { WebSocket } from 'ws';
import { counter, type Clock, type Logger, type ScoreFeed } from '../../core/index.js';
import { normaliseOrigin, type SiteConfig } from '../../config/index.js';
import { basicAuthUser } from '../collector/index.js';
import { liveError, type LiveErrorCode } from './live-errors.js';
import { LiveHub, type LiveHubOptions } from './live-hub.js';
import { issueLiveToken, verifyLiveToken, type LiveTokenClaims } from './token.js';

export interface LiveOptions extends LiveHubOptions {
  readonly sites: readonly SiteConfig[];
  /** Every live score of this process (local pipeline, or the Kafka scores topic). */
  readonly scores: ScoreFeed;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Lifetime of tokens the backend route issues when it asks for none. Default 900 s. */
  readonly backendTokenTtlSeconds?: number;
  /** Lifetime of tokens issued to a browser by its write key. Default 600 s. */
  readonly visitorTokenTtlSeconds?: number;
  /** How often sockets are pinged; one that missed a pong by the next ping is closed. 30 s. */
  readonly pingIntervalMs?: number;
}

const upgradesTotal = counter('pathcast_live_upgrades_total', 'Upgrades to /v1/live by outcome', [
  'code',
]);
const tokensTotal = counter('pathcast_live_tokens_issued_total', 'Live tokens issued by route', [
  'route',
]);

/** The websocket path and the token routes, for the README and tests. */
export const LIVE_ROUTES = {
  socket: '/v1/live',
  backendToken: '/v1/live/token',
  visitorToken: '/v1/live/visitor-token',
} as const;

/**
 * Live scores for websites: `GET /v1/live?token=...` (websocket) pushes the scores of the one
 * visitor the token names, coalesced per tick; two routes issue tokens (see README.md "Live
 * scores"). Needs @fastify/websocket registered on the server (buildApp does, once).
 *
 * A refusal happens before the upgrade, as an HTTP answer with a stable code: no socket is
 * ever opened, so no frame can leak.
 */
export async function livePlugin(app: FastifyInstance, options: LiveOptions): Promise<void> {
  const bySiteId = new Map(options.sites.map((site) => [site.id, site]));
  const bySecret = new Map(options.sites.map((site) => [site.secretKey, site]));
  const byWriteKey = new Map(options.sites.map((site) => [site.writeKey, site]));
  const backendTtl = options.backendTokenTtlSeconds ?? 900;
  const visitorTtl = options.visitorTokenTtlSeconds ?? 600;
  const logger = options.logger.child({ component: 'live' });
  const hub = new LiveHub(options, { logger, clock: options.clock });
  const unsubscribe = options.scores.subscribe((score) => hub.publish(score));
  const claimsOf = new WeakMap<FastifyRequest, LiveTokenClaims>();
  const alive = new Map<WebSocket, boolean>();

  const pinger = setInterval(() => {
    for (const [socket, answered] of alive) {
      if (!answered) {
        socket.terminate();
        continue;
      }
      alive.set(socket, false);
      socket.ping();
    }
  }, options.pingIntervalMs ?? 30_000);
  pinger.unref();

  app.addHook('onClose', async () => {
    clearInterval(pinger);
    unsubscribe();
    hub.close();
  });

  const authorise = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const query = request.query as Record<string, unknown>;
    const token = typeof query['token'] === 'string' ? query['token'] : undefined;
    if (token === undefined || token === '') return refuse(reply, 'missing_token');
    const verified = verifyLiveToken(
      token,
      (site) => bySiteId.get(site)?.secretKey,
      options.clock.now(),
    );
    if (!verified.ok) return refuse(reply, verified.code);
    const claims = verified.value;
    // Optional, for clients that want to be sure what they subscribe to: a token for another
    // site or visitor than the one named is refused, never silently swapped.
    for (const [name, value] of [
      ['site', claims.site],
      ['visitor', claims.visitor],
    ] as const) {
      if (query[name] !== undefined && query[name] !== value) {
        return refuse(reply, 'token_mismatch', { field: name });
      }
    }
    const site = bySiteId.get(claims.site);
    const origin = headerValue(request.headers.origin);
    if (site === undefined || (origin !== undefined && !originAllowed(site, origin))) {
      return refuse(reply, 'origin_not_allowed', { origin });
    }
    if (hub.socketsOf(claims.site, claims.visitor) >= hub.maxSocketsPerVisitor) {
      return refuse(reply, 'too_many_sockets');
    }
    claimsOf.set(request, claims);
  };

  app.get(
    LIVE_ROUTES.socket,
    { websocket: true, preValidation: authorise },
    (socket: WebSocket, request: FastifyRequest) => {
      const claims = claimsOf.get(request);
      if (claims === undefined) {
        // Unreachable: preValidation refused the upgrade. Closed anyway rather than trusted.
        socket.close(1008, 'unauthorised');
        return;
      }
      const subscription = hub.add(claims.site, claims.visitor, socket);
      if (subscription === undefined) {
        upgradesTotal.inc({ code: 'too_many_sockets' });
        socket.close(1013, 'too many sockets for this visitor');
        return;
      }
      upgradesTotal.inc({ code: 'ok' });
      alive.set(socket, true);
      socket.on('pong', () => alive.set(socket, true));
      socket.on('close', () => {
        alive.delete(socket);
        hub.remove(subscription);
      });
      // Clients have nothing to say; what they send is ignored (ws bounds its size).
      socket.send(
        JSON.stringify({
          type: 'subscribed',
          visitor: claims.visitor,
          expiresAt: claims.expiresAt,
        }),
      );
    },
  );

  // The site's backend: any visitor of its own site, authorised by the secret key.
  app.post(LIVE_ROUTES.backendToken, async (request, reply) => {
    const secret = bearer(request.headers.authorization);
    if (secret === undefined) return send(reply, 'missing_secret_key');
    const site = bySecret.get(secret);
    if (site === undefined) return send(reply, 'invalid_secret_key');
    const body = asObject(request.body);
    const visitor = body?.['visitor'];
    const ttl = body?.['ttlSeconds'] ?? backendTtl;
    if (!validVisitor(visitor)) {
      return send(reply, 'invalid_body', { reason: '"visitor" must be a string of 1-512 chars' });
    }
    if (typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl < 1 || ttl > 86_400) {
      return send(reply, 'invalid_body', { reason: '"ttlSeconds" must be an integer 1-86400' });
    }
    tokensTotal.inc({ route: 'backend' });
    return issue(reply, site, visitor, ttl);
  });

  // The browser: its own anonymousId, by the site's write key, from an allowed origin.
  app.post(LIVE_ROUTES.visitorToken, async (request, reply) => {
    const origin = headerValue(request.headers.origin);
    if (origin !== undefined) {
      reply.header('access-control-allow-origin', origin).header('vary', 'Origin');
    }
    const body = asObject(request.body);
    const writeKey =
      basicAuthUser(request.headers.authorization) ??
      (typeof body?.['writeKey'] === 'string' ? body['writeKey'] : undefined);
    if (writeKey === undefined || writeKey === '') return send(reply, 'missing_write_key');
    const site = byWriteKey.get(writeKey);
    if (site === undefined) return send(reply, 'invalid_write_key');
    if (origin !== undefined && !originAllowed(site, origin)) {
      return send(reply, 'origin_not_allowed', { origin });
    }
    const visitor = body?.['anonymousId'];
    if (!validVisitor(visitor)) {
      return send(reply, 'invalid_body', {
        reason: '"anonymousId" must be a string of 1-512 chars',
      });
    }
    tokensTotal.inc({ route: 'visitor' });
    return issue(reply, site, visitor, visitorTtl);
  });

  function issue(reply: FastifyReply, site: SiteConfig, visitor: string, ttl: number): unknown {
    const token = issueLiveToken({
      site: site.id,
      secretKey: site.secretKey,
      visitor,
      ttlSeconds: ttl,
      nowMs: options.clock.now(),
    });
    const expiresAt = Math.floor(options.clock.now() / 1000) + ttl;
    return reply.code(200).send({ success: true, token, site: site.id, visitor, expiresAt });
  }

  function refuse(
    reply: FastifyReply,
    code: LiveErrorCode,
    details: Readonly<Record<string, unknown>> = {},
  ): FastifyReply {
    upgradesTotal.inc({ code });
    logger.debug('live_upgrade_refused', { code });
    return send(reply, code, details);
  }
}

function send(
  reply: FastifyReply,
  code: LiveErrorCode,
  details: Readonly<Record<string, unknown>> = {},
): FastifyReply {
  const { status, body } = liveError(code, details);
  return reply.code(status).send(body);
}

function originAllowed(site: SiteConfig, origin: string): boolean {
  if (site.allowedOrigins.length === 0 || site.allowedOrigins.includes('*')) return true;
  return site.allowedOrigins.includes(normaliseOrigin(origin));
}

function validVisitor(value: unknown): value is string {
  return typeof value === 'string' && value.length >= 1 && value.length <= 512;
}

function bearer(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function asObject(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}
