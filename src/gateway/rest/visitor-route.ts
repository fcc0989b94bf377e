import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { ValidationError, type Profile, type Score } from '../../core/index.js';
import { MAX_ID_CHARS, type RestContext } from './context.js';
import { countOk, sendError } from './rest-errors.js';
import { ErrorBody, IdParams, SECURITY, TAGS, VisitorAnswer } from './schemas.js';
import { scoreFields } from './score-route.js';

const ROUTE = 'visitor';
/** The visitor key of an event that had only a userId (ClickEvent.visitor). */
const USER_PREFIX = 'user:';
/** Most user ids whose profiles are looked up for one visitor. */
const MAX_USERS = 100;

/**
 * `GET /v1/visitors/:id`: the visitor's current propensity and likely next pages, and what is
 * known about them. The score is the latest live one this process made (kept in memory), else
 * the latest stored one; identities are the user ids the visitor was linked to by identify or
 * alias; the profile is the CRM profile of the most recently linked user who has one.
 */
export function registerVisitorRoute(app: FastifyInstance, ctx: RestContext): void {
  app.withTypeProvider<TypeBoxTypeProvider>().get(
    '/v1/visitors/:id',
    {
      schema: {
        summary: "A visitor's current propensity, likely next pages and profile",
        description:
          'The id is the visitor key: the anonymousId, or `user:<userId>` for events that had ' +
          'only a userId. 404 when the site knows no score, identity or profile of it.',
        tags: [TAGS.visitors],
        security: SECURITY.secretKey,
        params: IdParams,
        response: {
          200: VisitorAnswer,
          401: ErrorBody,
          403: ErrorBody,
          404: ErrorBody,
          503: ErrorBody,
        },
      },
    },
    async (request, reply) => {
      const auth = ctx.auth.authenticate(request.headers.authorization);
      if (!auth.ok) return sendError(reply, ROUTE, auth.code);
      const site = auth.value.id;
      const visitor = request.params.id;
      if (visitor.length > MAX_ID_CHARS) return sendError(reply, ROUTE, 'visitor_not_found');
      const queries = ctx.runtime.storage.queries;
      try {
        const live = ctx.latest.get(site, visitor);
        const [stored, identities] = await Promise.all([
          live === undefined ? queries.latestVisitorScore({ site, visitor }) : undefined,
          queries.identities(
            visitor.startsWith(USER_PREFIX)
              ? { site, userId: visitor.slice(USER_PREFIX.length) }
              : { site, anonymousId: visitor },
          ),
        ]);
        const userIds = linkedUsers(
          visitor,
          identities.map((link) => link.userId),
        );
        const profiles = userIds.length === 0 ? [] : await ctx.profiles(userIds);
        const profile = latestLinked(userIds, profiles);
        const score: (Score & { source: 'live' | 'history' }) | undefined =
          live !== undefined
            ? { ...live, source: 'live' }
            : stored !== undefined
              ? { ...stored, source: 'history' }
              : undefined;
        if (score === undefined && identities.length === 0 && profile === undefined) {
          return sendError(reply, ROUTE, 'visitor_not_found');
        }
        countOk(ROUTE);
        return reply.code(200).send({
          success: true as const,
          site,
          visitor,
          score: score === undefined ? null : { ...scoreFields(score), source: score.source },
          profile: profile === undefined ? null : profileSummary(profile),
          identities: identities.map((link) => ({
            anonymousId: link.anonymousId,
            userId: link.userId,
            at: link.at,
          })),
        });
      } catch (error) {
        if (error instanceof ValidationError) return sendError(reply, ROUTE, 'visitor_not_found');
        ctx.logger.warn('rest_visitor_query_failed', { err: error });
        return sendError(reply, ROUTE, 'history_unavailable');
      }
    },
  );
}

/** User ids of the visitor, most recently linked last (identities come first seen first). */
function linkedUsers(visitor: string, linked: readonly string[]): string[] {
  const users = new Set<string>();
  if (visitor.startsWith(USER_PREFIX)) users.add(visitor.slice(USER_PREFIX.length));
  for (const userId of linked) {
    users.delete(userId);
    users.add(userId);
  }
  return [...users].slice(-MAX_USERS);
}

function latestLinked(
  userIds: readonly string[],
  profiles: readonly Profile[],
): Profile | undefined {
  const byUser = new Map(profiles.map((profile) => [profile.userId, profile]));
  for (let i = userIds.length - 1; i >= 0; i--) {
    const profile = byUser.get(userIds[i] as string);
    if (profile !== undefined) return profile;
  }
  return undefined;
}

/** What a website may show or act on; the email hash and free attributes stay in the CRM. */
function profileSummary(profile: Profile): {
  userId: string;
  segment: string;
  lifetimeValue: number;
  orders: number;
  firstOrderAt: number | null;
  lastOrderAt: number | null;
  tenureDays: number;
  churned: boolean;
  updatedAt: number;
} {
  return {
    userId: profile.userId,
    segment: profile.segment,
    lifetimeValue: profile.lifetimeValue,
    orders: profile.orders,
    firstOrderAt: profile.firstOrderAt,
    lastOrderAt: profile.lastOrderAt,
    tenureDays: profile.tenureDays,
    churned: profile.churned,
    updatedAt: profile.updatedAt,
  };
}
