import type { FastifyReply } from 'fastify';

/**
 * The dashboard's answers other than 2xx: stable codes, statuses and messages, in the same body
 * shape as the collector's table (http-errors.ts): `{ success: false, code, message, ...details }`.
 * NOTE: kept beside the plugin rather than in http-errors.ts so the dashboard's codes can land
 * without touching the collector's table; the two sets of codes do not overlap.
 */
export const DASHBOARD_ERRORS = {
  unauthorized: {
    status: 401,
    message: 'Log in, or send the site secret key as "Authorization: Bearer <secret key>".',
  },
  invalid_secret_key: { status: 401, message: 'The secret key is not known.' },
  session_expired: {
    status: 401,
    message: 'The dashboard session expired or was ended; log in again.',
  },
  invalid_login: { status: 401, message: 'Unknown site or wrong secret key.' },
  write_key_forbidden: {
    status: 403,
    message: 'A write key can send events but reads nothing; use the site secret key.',
  },
  site_forbidden: { status: 403, message: 'These credentials are for another site.' },
  invalid_query: { status: 400, message: 'The query string does not have the expected shape.' },
  invalid_filter: { status: 400, message: 'The filter is not valid.' },
  invalid_login_body: {
    status: 400,
    message: 'Send {"site": "...", "secretKey": "..."} as JSON.',
  },
  history_unavailable: {
    status: 503,
    message: 'The history store could not answer; retry later.',
  },
  dashboard_not_built: {
    status: 503,
    message: 'The dashboard web app is not built: run `npm run build:web`.',
  },
  internal_error: { status: 500, message: 'Internal error.' },
} as const;

export type DashboardErrorCode = keyof typeof DASHBOARD_ERRORS;

/** Sends the error `code`, with optional details and a more specific message. */
export function sendError(
  reply: FastifyReply,
  code: DashboardErrorCode,
  details: Readonly<Record<string, unknown>> = {},
  message?: string,
): FastifyReply {
  const entry = DASHBOARD_ERRORS[code];
  return reply
    .code(entry.status)
    .send({ success: false, code, message: message ?? entry.message, ...details });
}
