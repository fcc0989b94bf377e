import type { FastifyReply } from 'fastify';
import { counter } from '../../core/index.js';
import { HTTP_ERRORS, type HttpErrorCode } from '../http-errors.js';

/**
 * The REST API's own refusals (`/v1/score`, `/v1/sessions/:id`, `/v1/visitors/:id`), in the
 * gateway's body shape `{ success: false, code, message, ...details }`. Bad input to /v1/score
 * answers with the collector's codes (http-errors.ts), so one client handles both the same way.
 *
 * NOTE: kept beside the plugin, like the live and dashboard tables, so the collector's table
 * stays the collector's; codes shared with those tables keep the same status and meaning.
 */
export const REST_ERRORS = {
  missing_secret_key: {
    status: 401,
    message:
      'Send the site secret key as "Authorization: Bearer <secretKey>" (or as the HTTP Basic user name).',
  },
  invalid_secret_key: { status: 401, message: 'The secret key is not known.' },
  write_key_forbidden: {
    status: 403,
    message: 'A write key can send events but reads nothing; use the site secret key.',
  },
  invalid_query: { status: 400, message: 'The query string does not have the expected shape.' },
  multiple_visitors: {
    status: 400,
    message: 'All events of one scoring request must be of one visitor.',
  },
  session_not_found: { status: 404, message: 'This site has no session with this id.' },
  visitor_not_found: {
    status: 404,
    message: 'This site has no score, identity or profile for this visitor.',
  },
  model_unavailable: { status: 503, message: 'No live model is being served; retry later.' },
  history_unavailable: {
    status: 503,
    message: 'The history store could not answer; retry later.',
  },
} as const;

export type RestErrorCode = keyof typeof REST_ERRORS;

/** Every code a REST route may answer: its own and the collector's. */
export type RestAnswerCode = RestErrorCode | HttpErrorCode;

const requestsTotal = counter(
  'pathcast_rest_requests_total',
  'REST API answers (score, sessions, visitors) by route and outcome',
  ['route', 'code'],
);

/** Counts a successful answer of `route`. */
export function countOk(route: string): void {
  requestsTotal.inc({ route, code: 'ok' });
}

/** Sends the error `code` (REST's or the collector's), counted by route. */
export function sendError(
  reply: FastifyReply,
  route: string,
  code: RestAnswerCode,
  details: Readonly<Record<string, unknown>> = {},
  message?: string,
): FastifyReply {
  const entry =
    code in REST_ERRORS ? REST_ERRORS[code as RestErrorCode] : HTTP_ERRORS[code as HttpErrorCode];
  requestsTotal.inc({ route, code });
  return reply
    .code(entry.status)
    .send({ success: false, code, message: message ?? entry.message, ...details });
}
