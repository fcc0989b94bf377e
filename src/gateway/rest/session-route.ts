import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { ValidationError } from '../../core/index.js';
import { MAX_ID_CHARS, type RestContext } from './context.js';
import { countOk, sendError } from './rest-errors.js';
import { ErrorBody, IdParams, SECURITY, SessionAnswer, TAGS } from './schemas.js';

const ROUTE = 'session';

/**
 * `GET /v1/sessions/:id`: a session's latest stored state. Versions are collapsed by the query
 * (ReplacingMergeTree merges lazily); an id that was merged into another session answers that
 * session, with the ids followed in `mergedFrom`. A site sees only its own sessions: another
 * site's id answers 404 exactly like an unknown one.
 */
export function registerSessionRoute(app: FastifyInstance, ctx: RestContext): void {
  app.withTypeProvider<TypeBoxTypeProvider>().get(
    '/v1/sessions/:id',
    {
      schema: {
        summary: "A session's latest state",
        description:
          'From ClickHouse: the latest version of the session (open or closed). A session merged ' +
          'into another (a late event bridged the two) answers the one it became part of.',
        tags: [TAGS.sessions],
        security: SECURITY.secretKey,
        params: IdParams,
        response: {
          200: SessionAnswer,
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
      const { id } = request.params;
      if (id.length > MAX_ID_CHARS) return sendError(reply, ROUTE, 'session_not_found');
      try {
        const found = await ctx.runtime.storage.queries.session({ site: auth.value.id, id });
        if (found === undefined) return sendError(reply, ROUTE, 'session_not_found');
        countOk(ROUTE);
        const { session, mergedFrom } = found;
        return reply.code(200).send({
          success: true as const,
          session: { ...session, path: [...session.path] },
          mergedFrom: [...mergedFrom],
        });
      } catch (error) {
        // A value no query takes (the filter bounds) cannot name a stored session.
        if (error instanceof ValidationError) return sendError(reply, ROUTE, 'session_not_found');
        ctx.logger.warn('rest_session_query_failed', { err: error });
        return sendError(reply, ROUTE, 'history_unavailable');
      }
    },
  );
}
