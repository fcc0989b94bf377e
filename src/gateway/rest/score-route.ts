import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Clock, Score } from '../../core/index.js';
import { LIMITS, type EventProcessor } from '../../ingest/index.js';
import type { SessionizerOptions } from '../../sessionizer/index.js';
import type { FeatureHasher } from '../../scoring/index.js';
import type { GeoLookup } from '../collector/index.js';
import { decodeBody } from '../collector/body.js';
import { HTTP_ERRORS, type HttpErrorCode } from '../http-errors.js';
import type { RestContext } from './context.js';
import { dryRunScore } from './dry-run-scorer.js';
import { countOk, sendError } from './rest-errors.js';
import { ErrorBody, ScoreAnswer, ScoreQuery, SECURITY, TAGS } from './schemas.js';

export interface ScoreRouteDeps {
  readonly processor: EventProcessor;
  readonly hasher: FeatureHasher;
  readonly geo: GeoLookup;
  readonly clock: Clock;
  readonly sessionizer?: SessionizerOptions;
}

const ROUTE = 'score';

/**
 * `POST /v1/score`: the model as a REST service. Scores a posted list of one visitor's Segment
 * events (a JSON array, or a /v1/batch body) with the live model and stores nothing: see
 * dryRunScore. Bodies are read like the collector's (gzip, text/plain, 500 KB, 2,500 events)
 * and bad input answers the collector's codes; but a request is all-or-nothing here: with any
 * invalid event nothing is scored, and the 400 lists each rejected event by index.
 */
export function registerScoreRoute(
  app: FastifyInstance,
  ctx: RestContext,
  deps: ScoreRouteDeps,
): void {
  app.withTypeProvider<TypeBoxTypeProvider>().post(
    '/v1/score',
    {
      schema: {
        summary: "Score a visitor's events with the live model, storing nothing",
        description:
          'Validates and enriches the events as the pipeline does, sessionizes them on their own ' +
          'and scores each session update with the model served live; answers the score after ' +
          'the last event (and with perEvent=true, after every event). Nothing reaches the ' +
          "event log, ClickHouse or the live sessions. Authorised by the site's secret key.",
        tags: [TAGS.scoring],
        security: SECURITY.secretKey,
        querystring: ScoreQuery,
        response: {
          200: ScoreAnswer,
          400: ErrorBody,
          401: ErrorBody,
          403: ErrorBody,
          413: ErrorBody,
          415: ErrorBody,
          503: ErrorBody,
        },
      },
    },
    async (request, reply) => {
      const auth = ctx.auth.authenticate(request.headers.authorization);
      if (!auth.ok) return sendError(reply, ROUTE, auth.code);
      const site = auth.value;
      const model = ctx.runtime.model();
      if (model === undefined) return sendError(reply, ROUTE, 'model_unavailable');

      const raw = request.body;
      const decoded = decodeBody(
        Buffer.isBuffer(raw) ? raw : Buffer.alloc(0),
        firstHeader(request.headers['content-encoding']),
        LIMITS.batchBytes,
      );
      if (!decoded.ok) return sendError(reply, ROUTE, decoded.code, { reason: decoded.reason });
      const body = readBody(decoded.value.json);
      if (body === undefined) {
        return sendError(reply, ROUTE, 'invalid_body', {
          reason: 'the body must be an array of events or {"batch": [...]}',
        });
      }
      if (body.events.length === 0) return sendError(reply, ROUTE, 'empty_batch');
      if (body.events.length > LIMITS.batchEvents) {
        return sendError(reply, ROUTE, 'too_many_events', {
          limit: LIMITS.batchEvents,
          received: body.events.length,
        });
      }

      const outcome = dryRunScore(
        {
          site,
          events: body.events,
          sentAt: body.sentAt,
          context: body.context,
          clientIp: request.ip,
          model,
        },
        deps,
      );
      if (!outcome.ok) {
        if (outcome.code === 'multiple_visitors') {
          return sendError(reply, ROUTE, 'multiple_visitors', { visitors: outcome.visitors });
        }
        const [only, ...others] = outcome.rejected;
        if (only !== undefined && others.length === 0 && only.code in HTTP_ERRORS) {
          return sendError(
            reply,
            ROUTE,
            only.code as HttpErrorCode,
            { rejected: outcome.rejected },
            only.reason,
          );
        }
        return sendError(
          reply,
          ROUTE,
          'event_rejected',
          { rejected: outcome.rejected },
          'Some events were rejected (see "rejected"); nothing was scored.',
        );
      }
      const { last, isBot, events } = outcome.value;
      countOk(ROUTE);
      return reply.code(200).send({
        success: true as const,
        site: site.id,
        visitor: last.visitor,
        ...scoreFields(last),
        isBot,
        ...(request.query.perEvent === true
          ? {
              events: events.map((event) => ({
                index: event.index,
                messageId: event.messageId,
                ...scoreFields(event),
              })),
            }
          : {}),
      });
    },
  );
}

/** The fields of a score a client sees (site and visitor are said once, at the top). */
export function scoreFields(score: Score): {
  sessionId: string;
  at: number;
  propensity: number;
  markovProbability: number;
  nextPages: Array<{ pageType: string; probability: number }>;
  modelVersion: string;
} {
  return {
    sessionId: score.sessionId,
    at: score.at,
    propensity: score.propensity,
    markovProbability: score.markovProbability,
    nextPages: score.nextPages.map((page) => ({ ...page })),
    modelVersion: score.modelVersion,
  };
}

interface ScoreBody {
  readonly events: readonly unknown[];
  readonly sentAt: unknown;
  readonly context: Record<string, unknown> | undefined;
}

function readBody(json: unknown): ScoreBody | undefined {
  if (Array.isArray(json)) return { events: json, sentAt: undefined, context: undefined };
  if (typeof json !== 'object' || json === null) return undefined;
  const fields = json as Record<string, unknown>;
  const batch = fields['batch'];
  if (!Array.isArray(batch)) return undefined;
  const context = fields['context'];
  return {
    events: batch,
    sentAt: fields['sentAt'],
    context:
      typeof context === 'object' && context !== null && !Array.isArray(context)
        ? (context as Record<string, unknown>)
        : undefined,
  };
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
