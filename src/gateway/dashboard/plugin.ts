import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { PathcastError, isRetriable, type Clock, type Logger } from '../../core/index.js';
import type { SiteConfig } from '../../config/index.js';
import { GEO_ATTRIBUTION } from '../../ingest/index.js';
import type { RuntimeParts } from '../../runtime/index.js';
import type { ModelSnapshot } from '../../scoring/index.js';
import type { LiveSessionsResponse, MeResponse } from './api-types.js';
import { apiRoutes } from './api-routes.js';
import {
  DashboardAuth,
  SESSION_COOKIE,
  cookieValue,
  sessionCookieHeader,
  type Principal,
} from './auth.js';
import { DASHBOARD_ERRORS, sendError, type DashboardErrorCode } from './errors.js';
import { LiveHub, type LiveHubOptions } from './live-hub.js';
import { LiveSessionsQuery, LiveSocketQuery, LoginBody } from './schemas.js';
import { defaultWebRoot, registerWebApp } from './web-app.js';

/** What the dashboard takes from the runtime (RuntimeParts has it all). */
export interface DashboardRuntime extends Pick<
  RuntimeParts,
  'storage' | 'scores' | 'clock' | 'logger'
> {
  /** The model live scoring serves now, for model quality (absent: stored models and scores). */
  model?(): ModelSnapshot | undefined;
}

export interface DashboardOptions {
  readonly sites: readonly SiteConfig[];
  readonly runtime: DashboardRuntime;
  /** Overrides the runtime's clock (tests). */
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** The built web app (default: the package's dist/web). */
  readonly webRoot?: string;
  /** How long a login lasts, ms. Default 12 h. */
  readonly sessionTtlMs?: number;
  readonly live?: LiveHubOptions;
}

const TAGS = ['dashboard'];

/**
 * The marketer dashboard: its web app at `/` (login page at `/login`), the JSON API under
 * `/api`, and the live stream at `/api/live` (websocket). Everything but the login page, its
 * POST and the static assets needs the site's secret key (bearer) or a login session cookie;
 * every answer is about the caller's own site.
 *
 * NOTE: @fastify/websocket must be registered on the app before this plugin (buildApp does).
 */
export async function dashboardPlugin(
  app: FastifyInstance,
  options: DashboardOptions,
): Promise<void> {
  if (!app.hasDecorator('websocketServer')) {
    throw new Error('dashboardPlugin needs @fastify/websocket registered on the app first');
  }
  const clock = options.clock ?? options.runtime.clock;
  const logger = (options.logger ?? options.runtime.logger).child({ component: 'dashboard' });
  const auth = new DashboardAuth(options.sites, clock, {
    ...(options.sessionTtlMs === undefined ? {} : { sessionTtlMs: options.sessionTtlMs }),
  });
  const hub = new LiveHub(
    {
      scores: options.runtime.scores,
      queries: options.runtime.storage.queries,
      target: options.runtime.storage.handle,
      clock,
      logger,
    },
    options.live,
  );
  hub.start();
  app.addHook('onClose', async () => hub.close());

  app.setErrorHandler((error: unknown, request, reply) => {
    const failure = error as { validation?: unknown; message?: string; statusCode?: number };
    if (failure.validation !== undefined) {
      return sendError(reply, request.method === 'POST' ? 'invalid_login_body' : 'invalid_query', {
        reason: failure.message,
      });
    }
    if (error instanceof PathcastError) {
      if (error.code in DASHBOARD_ERRORS) {
        return sendError(reply, error.code as DashboardErrorCode, {}, error.message);
      }
      if (error.code === 'invalid_sql_value') {
        return sendError(reply, 'invalid_filter', {}, error.message);
      }
    }
    if (failure.statusCode === 400 || failure.statusCode === 415) {
      return sendError(reply, 'invalid_login_body', { reason: failure.message });
    }
    if (isRetriable(error)) {
      logger.warn('dashboard_history_unavailable', { url: request.url, err: error });
      return sendError(reply, 'history_unavailable');
    }
    logger.error('dashboard_error', { url: request.url, err: error });
    return sendError(reply, 'internal_error');
  });

  const sendPage = await registerWebApp(app, options.webRoot ?? defaultWebRoot());
  const secure = (request: FastifyRequest): boolean => request.protocol === 'https';

  // Public: the login page and its POST (the assets were registered by registerWebApp).
  await app.register(async (open) => {
    const api = open.withTypeProvider<TypeBoxTypeProvider>();
    api.get('/login', { schema: { hide: true } }, (_request, reply) =>
      sendPage(reply, 'login.html'),
    );
    api.post(
      '/api/login',
      {
        schema: {
          summary: 'Log in to the dashboard with the site id and its secret key',
          description: 'Sets an HttpOnly, SameSite=Strict session cookie.',
          tags: TAGS,
          body: LoginBody,
        },
      },
      async (request, reply) => {
        const login = auth.login(request.body.site, request.body.secretKey);
        if (!login.ok) return sendError(reply, 'invalid_login');
        logger.info('dashboard_login', { site: request.body.site });
        return reply
          .header(
            'set-cookie',
            sessionCookieHeader(login.value.cookie, auth.sessionTtlMs, {
              secure: secure(request),
            }),
          )
          .send({ site: request.body.site, expiresAt: login.value.expiresAt });
      },
    );
    api.post(
      '/api/logout',
      { schema: { summary: 'End the dashboard session', tags: TAGS } },
      async (request, reply) => {
        const cookie = cookieValue(request.headers.cookie, SESSION_COOKIE);
        if (cookie !== undefined) auth.logout(cookie);
        return reply
          .header('set-cookie', sessionCookieHeader('', 0, { secure: secure(request) }))
          .code(204)
          .send();
      },
    );
  });

  // Everything else needs credentials.
  await app.register(async (closed) => {
    const principals = new WeakMap<FastifyRequest, Principal>();
    const principal = (request: FastifyRequest): Principal => {
      const found = principals.get(request);
      if (found === undefined) throw new PathcastError('unauthorized', 'not authenticated');
      return found;
    };

    closed.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
      const token = (request.query as { token?: unknown } | undefined)?.token;
      const result = auth.authenticate({
        authorization: request.headers.authorization,
        cookie: request.headers.cookie,
        token: typeof token === 'string' ? token : undefined,
      });
      if (result.ok) {
        principals.set(request, result.value);
        return;
      }
      // The page itself sends a browser to the login form rather than showing JSON.
      const url = request.routeOptions.url;
      if (request.method === 'GET' && (url === '/' || url === '/dashboard')) {
        return reply.redirect('/login', 302);
      }
      return sendError(reply, result.code);
    });

    closed.get('/', { schema: { hide: true } }, (_request, reply) => sendPage(reply, 'index.html'));
    closed.get('/dashboard', { schema: { hide: true } }, (_request, reply) =>
      reply.redirect('/', 302),
    );

    const api = closed.withTypeProvider<TypeBoxTypeProvider>();
    api.get(
      '/api/me',
      { schema: { summary: 'Who is logged in, for which site', tags: TAGS } },
      async (request): Promise<MeResponse> => {
        const who = principal(request);
        return {
          site: who.site,
          via: who.via,
          expiresAt: who.expiresAt,
          geoAttribution: GEO_ATTRIBUTION,
        };
      },
    );

    api.get(
      '/api/live-sessions',
      {
        schema: {
          summary: 'Visitors scored in the last 5 minutes, highest propensity first',
          tags: TAGS,
          querystring: LiveSessionsQuery,
        },
      },
      async (request): Promise<LiveSessionsResponse> => {
        const site = ownSite(principal(request), request.query.site);
        const sessions = await hub.liveSessions(site, request.query.limit ?? 50);
        return { site, at: clock.now(), windowMs: hub.windowMs, sessions };
      },
    );

    api.get(
      '/api/live',
      {
        websocket: true,
        schema: {
          summary: 'Websocket: the live KPIs and live sessions, one frame a second',
          description:
            'Authorised by the session cookie, a bearer secret key, or ?token=<secret key>.',
          tags: TAGS,
          querystring: LiveSocketQuery,
        },
      },
      (socket, request) => {
        const who = principal(request);
        if (request.query.site !== undefined && request.query.site !== who.site) {
          socket.close(1008, 'site_forbidden');
          return;
        }
        const site = who.site;
        hub.attach(site, socket, request.query.limit ?? 50).catch((error: unknown) => {
          logger.warn('dashboard_live_attach_failed', { site, err: error });
          socket.close(1011, 'internal error');
        });
      },
    );

    const runtime = options.runtime;
    await apiRoutes(closed, {
      storage: runtime.storage,
      clock,
      principal,
      ...(runtime.model === undefined ? {} : { model: () => runtime.model?.() }),
    });
  });
}

function ownSite(principal: Principal, asked: string | undefined): string {
  if (asked !== undefined && asked !== principal.site) {
    throw new PathcastError('site_forbidden', `these credentials are for site "${principal.site}"`);
  }
  return principal.site;
}
