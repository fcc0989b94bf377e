import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MAX_LIVE_TOKEN_TTL_S, issueLiveToken, verifyLiveToken } from './token.js';

const secrets: Record<string, string> = { shop: 'sk_shop_secret_1', blog: 'sk_blog_secret_2' };
const secretOf = (site: string): string | undefined => secrets[site];
const NOW = Date.UTC(2026, 5, 1, 12, 0, 0);

function mint(
  site: string,
  visitor: string,
  ttlSeconds = 600,
  secret = secrets[site] ?? '',
): string {
  return issueLiveToken({ site, secretKey: secret, visitor, ttlSeconds, nowMs: NOW });
}

/** A token built by hand from the documented recipe, as another language would. */
function handMade(payload: unknown, secret: string): string {
  const body = Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
  const signature = createHmac('sha256', secret).update(`pcl1.${body}`).digest('base64url');
  return `pcl1.${body}.${signature}`;
}

describe('live tokens', () => {
  it('round-trips site, visitor and expiry', () => {
    const token = mint('shop', 'anon-1');
    expect(token).toMatch(/^pcl1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(verifyLiveToken(token, secretOf, NOW)).toEqual({
      ok: true,
      value: { site: 'shop', visitor: 'anon-1', expiresAt: NOW / 1000 + 600 },
    });
  });

  it('accepts a token minted by the documented recipe (other languages)', () => {
    const token = handMade({ s: 'shop', v: 'anon-ü "x"', e: NOW / 1000 + 60 }, secrets['shop']!);
    const verified = verifyLiveToken(token, secretOf, NOW);
    expect(verified.ok && verified.value.visitor).toBe('anon-ü "x"');
  });

  it('refuses an expired token, at the second it expires', () => {
    const token = mint('shop', 'anon-1', 60);
    expect(verifyLiveToken(token, secretOf, NOW + 59_999).ok).toBe(true);
    expect(verifyLiveToken(token, secretOf, NOW + 60_000)).toMatchObject({
      ok: false,
      code: 'token_expired',
    });
  });

  const valid = mint('shop', 'anon-1');
  const [, payload, signature] = valid.split('.') as [string, string, string];
  const cases: Array<[string, string]> = [
    ['empty', ''],
    ['no prefix', `${payload}.${signature}`],
    ['wrong prefix', `pcl2.${payload}.${signature}`],
    ['four parts', `${valid}.x`],
    ['signature of another payload', `pcl1.${mint('shop', 'anon-2').split('.')[1]}.${signature}`],
    ['truncated signature', valid.slice(0, -2)],
    ['signature with padding', `${valid}=`],
    ['signed with another site’s secret', mint('shop', 'anon-1', 600, secrets['blog'])],
    [
      'claims another site with this site’s secret',
      handMade({ s: 'blog', v: 'a', e: NOW / 1000 + 60 }, secrets['shop']!),
    ],
    ['unknown site', handMade({ s: 'nope', v: 'a', e: NOW / 1000 + 60 }, 'whatever-secret')],
    ['payload not JSON', `pcl1.${Buffer.from('nope').toString('base64url')}.${signature}`],
    ['expiry not an integer', handMade({ s: 'shop', v: 'a', e: '9999999999' }, secrets['shop']!)],
    ['empty visitor', handMade({ s: 'shop', v: '', e: NOW / 1000 + 60 }, secrets['shop']!)],
    ['visitor not a string', handMade({ s: 'shop', v: 7, e: NOW / 1000 + 60 }, secrets['shop']!)],
    [
      'lifetime beyond the maximum',
      handMade({ s: 'shop', v: 'a', e: NOW / 1000 + MAX_LIVE_TOKEN_TTL_S + 5 }, secrets['shop']!),
    ],
    ['hostile characters', `pcl1.' OR 1=1 --.${signature}`],
    ['far too long', `pcl1.${'A'.repeat(5_000)}.${signature}`],
  ];
  it.each(cases)('refuses a forged or malformed token: %s', (_name, token) => {
    expect(verifyLiveToken(token, secretOf, NOW)).toMatchObject({
      ok: false,
      code: 'invalid_token',
    });
  });

  it('refuses to mint tokens outside the limits', () => {
    expect(() => mint('shop', 'a', 0)).toThrow(RangeError);
    expect(() => mint('shop', 'a', MAX_LIVE_TOKEN_TTL_S + 1)).toThrow(RangeError);
    expect(() => mint('shop', '')).toThrow(RangeError);
  });
});
