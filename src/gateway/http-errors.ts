/**
 * Every error the HTTP surface answers with: one table of stable codes, statuses and messages.
 * Bodies are `{ success: false, code, message, ...details }`.
 */
export const HTTP_ERRORS = {
  invalid_json: { status: 400, message: 'The body is not valid JSON.' },
  invalid_body: { status: 400, message: 'The body does not have the expected shape.' },
  unsupported_encoding: { status: 415, message: 'Content-Encoding must be gzip or identity.' },
  empty_batch: { status: 400, message: 'The batch holds no events.' },
  too_many_events: { status: 400, message: 'A batch may hold at most 2500 events.' },
  batch_too_large: { status: 413, message: 'A request body may be at most 500 KB.' },
  event_rejected: {
    status: 400,
    message: 'Some events were rejected (see "rejected"); the others were accepted.',
  },
  schema_violation: { status: 400, message: 'The event does not match the Segment spec.' },
  missing_identity: { status: 400, message: 'An event needs an anonymousId or a userId.' },
  invalid_timestamp: { status: 400, message: 'The event time is unreadable or absurd.' },
  event_too_large: { status: 400, message: 'An event may be at most 32 KB.' },
  missing_write_key: {
    status: 401,
    message: 'Send the write key as the HTTP Basic user name or as "writeKey" in the body.',
  },
  invalid_write_key: { status: 401, message: 'The write key is not known.' },
  origin_not_allowed: { status: 403, message: 'This origin may not send events for this site.' },
  rate_limited: { status: 429, message: 'Too many events from this source; retry later.' },
  log_unavailable: { status: 503, message: 'The event log cannot take writes; retry later.' },
  not_found: { status: 404, message: 'No such route.' },
  internal_error: { status: 500, message: 'Internal error.' },
} as const;

export type HttpErrorCode = keyof typeof HTTP_ERRORS;

export interface HttpErrorBody {
  readonly success: false;
  readonly code: HttpErrorCode;
  readonly message: string;
  readonly [detail: string]: unknown;
}

export function httpError(
  code: HttpErrorCode,
  details: Readonly<Record<string, unknown>> = {},
  message?: string,
): { status: number; body: HttpErrorBody } {
  const entry = HTTP_ERRORS[code];
  return {
    status: entry.status,
    body: { success: false, code, message: message ?? entry.message, ...details },
  };
}
