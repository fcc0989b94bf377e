import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../core/index.js';
import type { SiteConfig } from '../../config/index.js';
import { DashboardAuth, SESSION_COOKIE, cookieValue, sessionCookieHeader } from './auth.js';

const site = (id: string): SiteConfig => ({
  id,
  writeKey: `wk_${id}`,
  secretKey: `sk_${id}`,
  allowedOrigins: [],
  respectDoNotTrack: false,
});

function setup(): { auth: DashboardAuth; clock: ManualClock } {
  const clock = new ManualClock(1_000_000);
  return {
    auth: new DashboardAuth([site('a'), site('b')], clock, { sessionTtlMs: 60_000 }),
    clock,
  };
}

const cookieOf = (auth: DashboardAuth, id: string, key: string): string => {
  const login = auth.login(id, key);
  if (!login.ok) throw new Error(login.reason);
  return `${SESSION_COOKIE}=${login.value.cookie}`;
};

describe('DashboardAuth', () => {
  it.each([
    [
      'secret key of a',
      { authorization: 'Bearer sk_a' },
      { ok: true, value: { site: 'a', via: 'secret_key' } },
    ],
    ['token of b', { token: 'sk_b' }, { ok: true, value: { site: 'b', via: 'secret_key' } }],
    ['nothing', {}, { ok: false, code: 'unauthorized' }],
    [
      'an unknown key',
      { authorization: 'Bearer sk_zzz' },
      { ok: false, code: 'invalid_secret_key' },
    ],
    ['a write key', { authorization: 'Bearer wk_a' }, { ok: false, code: 'write_key_forbidden' }],
    ['a write key as token', { token: 'wk_b' }, { ok: false, code: 'write_key_forbidden' }],
    [
      'a write key by HTTP Basic',
      { authorization: `Basic ${Buffer.from('wk_a:').toString('base64')}` },
      { ok: false, code: 'write_key_forbidden' },
    ],
    ['another scheme', { authorization: 'Token sk_a' }, { ok: false, code: 'unauthorized' }],
    [
      'a bad cookie',
      { cookie: `${SESSION_COOKIE}=x.y.z.w` },
      { ok: false, code: 'session_expired' },
    ],
    ['an empty cookie', { cookie: `${SESSION_COOKIE}=` }, { ok: false, code: 'session_expired' }],
  ])('%s', (_name, credentials, expected) => {
    expect(setup().auth.authenticate(credentials)).toMatchObject(expected);
  });

  it('issues session cookies only for the right site and key', () => {
    const { auth } = setup();
    expect(auth.login('a', 'sk_b')).toMatchObject({ ok: false, code: 'invalid_login' });
    expect(auth.login('a', 'wk_a')).toMatchObject({ ok: false, code: 'invalid_login' });
    expect(auth.login('nope', 'sk_a')).toMatchObject({ ok: false, code: 'invalid_login' });
    const cookie = cookieOf(auth, 'a', 'sk_a');
    expect(auth.authenticate({ cookie: `other=1; ${cookie}` })).toMatchObject({
      ok: true,
      value: { site: 'a', via: 'session', expiresAt: 1_060_000 },
    });
  });

  it('refuses cookies that were tampered with, moved to another site, expired or logged out', () => {
    const { auth, clock } = setup();
    const cookie = cookieOf(auth, 'a', 'sk_a');
    const [site64, expiry, nonce, mac] = (cookieValue(cookie, SESSION_COOKIE) ?? '').split('.');
    const forge = (parts: string[]): string => `${SESSION_COOKIE}=${parts.join('.')}`;
    const b64 = Buffer.from('b').toString('base64url');
    for (const forged of [
      forge([b64, expiry ?? '', nonce ?? '', mac ?? '']),
      forge([site64 ?? '', String(Number(expiry) + 1), nonce ?? '', mac ?? '']),
      forge([site64 ?? '', expiry ?? '', `${nonce}x`, mac ?? '']),
      // The MAC's first character changed (its last one carries only 4 bits, one in 16 of
      // them already what a fixed replacement would write).
      forge([
        site64 ?? '',
        expiry ?? '',
        nonce ?? '',
        `${mac?.startsWith('A') ? 'B' : 'A'}${(mac ?? '').slice(1)}`,
      ]),
    ]) {
      expect(auth.authenticate({ cookie: forged })).toMatchObject({ code: 'session_expired' });
    }
    // A gateway with another secret key for the site does not accept it.
    const rotated = new DashboardAuth([{ ...site('a'), secretKey: 'sk_new' }], clock);
    expect(rotated.authenticate({ cookie })).toMatchObject({ code: 'session_expired' });

    clock.advance(59_999);
    expect(auth.authenticate({ cookie })).toMatchObject({ ok: true });
    clock.advance(1);
    expect(auth.authenticate({ cookie })).toMatchObject({ code: 'session_expired' });

    clock.set(1_000_000);
    auth.logout(cookieValue(cookie, SESSION_COOKIE) ?? '');
    expect(auth.authenticate({ cookie })).toMatchObject({ code: 'session_expired' });
    expect(auth.authenticate({ cookie: cookieOf(auth, 'a', 'sk_a') })).toMatchObject({ ok: true });
  });

  it('writes an HttpOnly, SameSite=Strict cookie with an expiry', () => {
    expect(sessionCookieHeader('v', 90_500, { secure: true })).toBe(
      `${SESSION_COOKIE}=v; Path=/; HttpOnly; SameSite=Strict; Max-Age=90; Secure`,
    );
    expect(sessionCookieHeader('', 0, { secure: false })).toBe(
      `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`,
    );
  });
});
