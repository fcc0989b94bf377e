import { createHmac, timingSafeEqual } from 'node:crypto';
import { fail, ok, type Result } from '../../core/index.js';

/**
 * Live-score tokens: short-lived, signed, bound to one (site, visitor) pair.
 *
 * Form (compact, URL-safe, no padding anywhere):
 *
 *     pcl1.<payload>.<signature>
 *
 * - `payload` = base64url of the UTF-8 JSON object `{"s": site, "v": visitor, "e": expiry}`,
 *   expiry in whole seconds since the Unix epoch (UTC);
 * - `signature` = base64url of HMAC-SHA256(key = the site's secret key as UTF-8 bytes,
 *   message = the ASCII text `pcl1.<payload>`).
 *
 * Any language can mint one with its standard library; see src/gateway/live/README.md for a
 * worked example. The verifier reads the site from the payload, recomputes the signature with
 * that site's secret and compares in constant time, so a token signed by one site can never
 * stand for another.
 */
export const LIVE_TOKEN_PREFIX = 'pcl1';

/** The longest lifetime a token may have; longer-lived ones are refused even when signed. */
export const MAX_LIVE_TOKEN_TTL_S = 24 * 60 * 60;

/** Upper bound of a token's length: a visitor id of 256 characters fits easily. */
const MAX_TOKEN_CHARS = 2_048;
const MAX_VISITOR_CHARS = 512;

export interface LiveTokenClaims {
  readonly site: string;
  readonly visitor: string;
  /** Expiry, seconds since the epoch. */
  readonly expiresAt: number;
}

export type LiveTokenError = 'invalid_token' | 'token_expired';

/**
 * Mints a token for `visitor` of `site`, valid `ttlSeconds` from `nowMs`. For site backends
 * written in Node: `issueLiveToken({ site: 'shop', secretKey, visitor: anonymousId, ttlSeconds:
 * 900, nowMs: Date.now() })`.
 */
export function issueLiveToken(input: {
  readonly site: string;
  readonly secretKey: string;
  readonly visitor: string;
  readonly ttlSeconds: number;
  readonly nowMs: number;
}): string {
  if (!Number.isInteger(input.ttlSeconds) || input.ttlSeconds < 1) {
    throw new RangeError(`ttlSeconds must be a positive integer, got ${input.ttlSeconds}`);
  }
  if (input.ttlSeconds > MAX_LIVE_TOKEN_TTL_S) {
    throw new RangeError(`ttlSeconds may be at most ${MAX_LIVE_TOKEN_TTL_S}`);
  }
  if (input.visitor === '' || input.visitor.length > MAX_VISITOR_CHARS) {
    throw new RangeError(`visitor must be 1-${MAX_VISITOR_CHARS} characters`);
  }
  const expiresAt = Math.floor(input.nowMs / 1000) + input.ttlSeconds;
  const payload = Buffer.from(
    JSON.stringify({ s: input.site, v: input.visitor, e: expiresAt }),
    'utf8',
  ).toString('base64url');
  const signed = `${LIVE_TOKEN_PREFIX}.${payload}`;
  return `${signed}.${sign(input.secretKey, signed).toString('base64url')}`;
}

/**
 * Checks a token: its form, the signature with the secret of the site it names (constant-time
 * comparison), then its expiry against `nowMs`. `secretOf` answers undefined for an unknown site.
 */
export function verifyLiveToken(
  token: string,
  secretOf: (site: string) => string | undefined,
  nowMs: number,
): Result<LiveTokenClaims, LiveTokenError> {
  if (token.length > MAX_TOKEN_CHARS) return fail('invalid_token', 'the token is too long');
  const parts = token.split('.');
  const [prefix, payload, signature] = parts;
  if (
    parts.length !== 3 ||
    prefix !== LIVE_TOKEN_PREFIX ||
    payload === undefined ||
    signature === undefined ||
    !BASE64URL.test(payload) ||
    !BASE64URL.test(signature)
  ) {
    return fail('invalid_token', 'the token is not of the form pcl1.<payload>.<signature>');
  }
  const claims = parseClaims(payload);
  if (claims === undefined) return fail('invalid_token', 'the token payload is unreadable');
  const secret = secretOf(claims.site);
  // NOTE: an unknown site and a bad signature give the same answer: a caller learns nothing
  // about which sites exist.
  if (secret === undefined) return fail('invalid_token', 'the token signature is not valid');
  const expected = sign(secret, `${prefix}.${payload}`);
  const given = Buffer.from(signature, 'base64url');
  // The length of an HMAC-SHA256 is public; only equal-length contents are compared, in
  // constant time.
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return fail('invalid_token', 'the token signature is not valid');
  }
  const nowS = Math.floor(nowMs / 1000);
  if (claims.expiresAt <= nowS) {
    return fail('token_expired', 'the token has expired; ask for a new one', {
      expiredAt: claims.expiresAt,
    });
  }
  if (claims.expiresAt > nowS + MAX_LIVE_TOKEN_TTL_S) {
    return fail('invalid_token', `a token may live at most ${MAX_LIVE_TOKEN_TTL_S} s`);
  }
  return ok(claims);
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;

function sign(secretKey: string, text: string): Buffer {
  return createHmac('sha256', secretKey).update(text, 'ascii').digest();
}

function parseClaims(payload: string): LiveTokenClaims | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  const fields = parsed as Record<string, unknown>;
  const site = fields['s'];
  const visitor = fields['v'];
  const expiresAt = fields['e'];
  if (typeof site !== 'string' || site === '') return undefined;
  if (typeof visitor !== 'string' || visitor === '' || visitor.length > MAX_VISITOR_CHARS) {
    return undefined;
  }
  if (typeof expiresAt !== 'number' || !Number.isSafeInteger(expiresAt)) return undefined;
  return { site, visitor, expiresAt };
}
