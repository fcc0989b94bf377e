/**
 * The refusals of the live-score surface (`/v1/live`, its token routes): stable codes, statuses
 * and messages, in the gateway's body shape `{ success: false, code, message, ...details }`.
 *
 * NOTE: kept beside the live plugin rather than in ../http-errors.ts so the collector's table
 * stays the collector's; the codes shared with it (origin_not_allowed, invalid_write_key,
 * missing_write_key) keep the same status and meaning.
 */
export const LIVE_ERRORS = {
  missing_token: {
    status: 401,
    message: 'Pass a live token as the "token" query parameter.',
  },
  invalid_token: { status: 401, message: 'The live token is malformed or its signature is wrong.' },
  token_expired: { status: 401, message: 'The live token has expired; ask for a new one.' },
  token_mismatch: {
    status: 403,
    message: 'The token was issued for another site or visitor than the one asked for.',
  },
  origin_not_allowed: { status: 403, message: 'This origin may not use this site.' },
  too_many_sockets: {
    status: 429,
    message: 'This visitor has too many live sockets open; close one first.',
  },
  missing_secret_key: {
    status: 401,
    message: 'Send the site secret key as "Authorization: Bearer <secretKey>".',
  },
  invalid_secret_key: { status: 401, message: 'The secret key is not known.' },
  missing_write_key: {
    status: 401,
    message: 'Send the write key as the HTTP Basic user name or as "writeKey" in the body.',
  },
  invalid_write_key: { status: 401, message: 'The write key is not known.' },
  invalid_body: { status: 400, message: 'The body does not have the expected shape.' },
} as const;

export type LiveErrorCode = keyof typeof LIVE_ERRORS;

export interface LiveErrorBody {
  readonly success: false;
  readonly code: LiveErrorCode;
  readonly message: string;
  readonly [detail: string]: unknown;
}

export function liveError(
  code: LiveErrorCode,
  details: Readonly<Record<string, unknown>> = {},
): { status: number; body: LiveErrorBody } {
  const entry = LIVE_ERRORS[code];
  return {
    status: entry.status,
    body: { success: false, code, message: entry.message, ...details },
  };
}
