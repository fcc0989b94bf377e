import type { ApiError } from '../../src/gateway/dashboard/api-types.js';

/** A non-2xx answer of the dashboard API, with its stable code. */
export class ApiFailure extends Error {
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** The query string of a range: the API's `from` and `to` (ms). */
export interface RangeQuery {
  readonly from: number;
  readonly to: number;
}

/** GET /api/<path> as JSON; the session cookie goes along (same origin). */
export async function getJson<T>(
  path: string,
  params: Readonly<Record<string, string | number | boolean | undefined>> = {},
): Promise<T> {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined) query.set(key, String(value));
  }
  const text = query.toString();
  const response = await fetch(`/api/${path}${text === '' ? '' : `?${text}`}`, {
    headers: { accept: 'application/json' },
    credentials: 'same-origin',
  });
  if (!response.ok) {
    const body = (await response.json().catch(() => ({}))) as Partial<ApiError>;
    throw new ApiFailure(
      response.status,
      body.code ?? 'http_error',
      body.message ?? `HTTP ${response.status}`,
    );
  }
  return (await response.json()) as T;
}

export async function postJson(path: string, body: unknown): Promise<Response> {
  return fetch(`/api/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}
