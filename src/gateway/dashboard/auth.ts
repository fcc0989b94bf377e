import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { fail, ok, type Clock, type Result } from '../../core/index.js';
import type { SiteConfig } from '../../config/index.js';
import type { DashboardErrorCode } from './errors.js';

/** The name of the dashboard's session cookie. */
export const SESSION_COOKIE = 'pathcast_session';

/** Who a request acts for: always exactly one site. */
export interface Principal {
  readonly site: string;
  readonly via: 'session' | 'secret_key';
  /** Session expiry (ms); null for a secret key. */
  readonly expiresAt: number | null;
}

export interface DashboardAuthOptions {
  /** How long a login lasts, ms. Default 12 h. */
  readonly sessionTtlMs?: number;
}

export interface Credentials {
  readonly authorization?: string | undefined;
  readonly cookie?: string | undefined;
  /** `?token=` on the websocket URL (browsers cannot set headers on a websocket). */
  readonly token?: string | undefined;
}

export type AuthFailure = Extract<
  DashboardErrorCode,
  'unauthorized' | 'invalid_secret_key' | 'session_expired' | 'write_key_forbidden'
>;

const DEFAULT_TTL_MS = 12 * 3_600_000;
const MAC_CONTEXT = 'pathcast-dashboard-session-v1';

/**
 * Dashboard authentication: the site's secret key as a bearer token, or a session cookie that
 * a login with site id + secret key issues.
 *
 * The cookie is `<site>.<expiresAt>.<nonce>.<mac>` (site base64url), the MAC an HMAC-SHA256 under
 * a key derived from that site's secret key. So any gateway with the same site configuration
 * accepts it (no shared session store), and rotating a site's secret key ends its sessions.
 * Logout revokes the cookie's nonce in this process until the cookie would have expired anyway.
 * A write key authenticates nothing here: it is public (it sits in every page of the site).
 */
export class DashboardAuth {
  readonly sessionTtlMs: number;
  private readonly clock: Clock;
  private readonly sitesById: ReadonlyMap<string, SiteConfig>;
  /** sha256(secret key) -> site: lookups by a digest leak nothing about the key through timing. */
  private readonly bySecretDigest: ReadonlyMap<string, SiteConfig>;
  private readonly writeKeyDigests: ReadonlySet<string>;
  private readonly revoked = new Map<string, number>();

  constructor(sites: readonly SiteConfig[], clock: Clock, options: DashboardAuthOptions = {}) {
    const ttl = options.sessionTtlMs ?? DEFAULT_TTL_MS;
    if (!Number.isSafeInteger(ttl) || ttl < 1000) {
      throw new RangeError(`sessionTtlMs must be an integer of at least 1000, got ${ttl}`);
    }
    this.sessionTtlMs = ttl;
    this.clock = clock;
    this.sitesById = new Map(sites.map((site) => [site.id, site]));
    this.bySecretDigest = new Map(sites.map((site) => [digest(site.secretKey), site]));
    this.writeKeyDigests = new Set(sites.map((site) => digest(site.writeKey)));
  }

  /** Site id + secret key -> a session cookie value and its expiry. */
  login(
    siteId: string,
    secretKey: string,
  ): Result<{ readonly cookie: string; readonly expiresAt: number }, 'invalid_login'> {
    const bySecret = this.bySecretDigest.get(digest(secretKey));
    if (bySecret === undefined || bySecret.id !== siteId) {
      return fail('invalid_login', 'unknown site or wrong secret key');
    }
    const expiresAt = this.clock.now() + this.sessionTtlMs;
    const body = `${Buffer.from(siteId, 'utf8').toString('base64url')}.${expiresAt}.${randomBytes(
      16,
    ).toString('base64url')}`;
    return ok({ cookie: `${body}.${mac(bySecret, body)}`, expiresAt });
  }

  /** Ends a session: its cookie is refused from now on (in this process). */
  logout(cookie: string): void {
    const session = this.verifyCookie(cookie);
    if (!session.ok) return;
    const now = this.clock.now();
    for (const [nonce, expiry] of this.revoked) if (expiry <= now) this.revoked.delete(nonce);
    this.revoked.set(session.value.nonce, session.value.principal.expiresAt ?? now);
  }

  /**
   * Bearer header, then `?token=`, then the session cookie. Credentials that are present but
   * wrong fail rather than fall through, so a bad key is reported as such.
   */
  authenticate(credentials: Credentials): Result<Principal, AuthFailure> {
    const bearer = bearerToken(credentials.authorization);
    if (bearer !== undefined) return this.fromSecret(bearer);
    if (credentials.authorization !== undefined && credentials.authorization !== '') {
      // Basic auth with a write key (the collector's convention) is a write key all the same.
      return this.writeKeyDigests.has(digest(basicUser(credentials.authorization) ?? ''))
        ? fail('write_key_forbidden', 'a write key reads nothing')
        : fail('unauthorized', 'unsupported authorization scheme');
    }
    if (credentials.token !== undefined && credentials.token !== '') {
      return this.fromSecret(credentials.token);
    }
    const cookie = cookieValue(credentials.cookie, SESSION_COOKIE);
    if (cookie !== undefined) {
      const session = this.verifyCookie(cookie);
      return session.ok ? ok(session.value.principal) : session;
    }
    return fail('unauthorized', 'no credentials');
  }

  private fromSecret(key: string): Result<Principal, AuthFailure> {
    const site = this.bySecretDigest.get(digest(key));
    if (site !== undefined) return ok({ site: site.id, via: 'secret_key', expiresAt: null });
    return this.writeKeyDigests.has(digest(key))
      ? fail('write_key_forbidden', 'a write key reads nothing')
      : fail('invalid_secret_key', 'unknown secret key');
  }

  private verifyCookie(
    cookie: string,
  ): Result<{ principal: Principal; nonce: string }, 'session_expired'> {
    const expired = fail('session_expired', 'invalid, expired or ended session');
    const parts = cookie.split('.');
    if (parts.length !== 4) return expired;
    const [siteText, expiryText, nonce, given] = parts as [string, string, string, string];
    const siteId = Buffer.from(siteText, 'base64url').toString('utf8');
    const site = this.sitesById.get(siteId);
    if (site === undefined) return expired;
    const expected = Buffer.from(mac(site, `${siteText}.${expiryText}.${nonce}`), 'utf8');
    const actual = Buffer.from(given, 'utf8');
    if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) return expired;
    const expiresAt = Number(expiryText);
    if (!/^\d+$/.test(expiryText) || expiresAt <= this.clock.now()) return expired;
    if (this.revoked.has(nonce)) return expired;
    return ok({ principal: { site: site.id, via: 'session', expiresAt }, nonce });
  }
}

function digest(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('base64url');
}

function mac(site: SiteConfig, body: string): string {
  const key = createHmac('sha256', site.secretKey).update(MAC_CONTEXT).digest();
  return createHmac('sha256', key).update(body, 'utf8').digest('base64url');
}

/** `Bearer <token>` -> token. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1];
}

function basicUser(header: string): string | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(header);
  if (match?.[1] === undefined) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon === -1 ? decoded : decoded.slice(0, colon);
}

/** The value of cookie `name` in a Cookie header, or undefined. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const pair of header.split(';')) {
    const at = pair.indexOf('=');
    if (at < 0) continue;
    if (pair.slice(0, at).trim() === name) return pair.slice(at + 1).trim();
  }
  return undefined;
}

/** The Set-Cookie header of a login (or, with maxAge 0, of a logout). */
export function sessionCookieHeader(
  value: string,
  maxAgeMs: number,
  options: { readonly secure: boolean },
): string {
  const attributes = [
    `${SESSION_COOKIE}=${value}`,
    'Path=/',
    'HttpOnly',
    'SameSite=Strict',
    `Max-Age=${Math.max(0, Math.floor(maxAgeMs / 1000))}`,
  ];
  if (options.secure) attributes.push('Secure');
  return attributes.join('; ');
}
