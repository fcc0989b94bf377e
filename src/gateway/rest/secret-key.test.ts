import { describe, expect, it } from 'vitest';
import { presentedKey, secretKeyAuth } from './secret-key.js';

const site = (id: string) => ({
  id,
  writeKey: `wk_${id}_0123`,
  secretKey: `sk_${id}_0123`,
  allowedOrigins: [],
  respectDoNotTrack: false,
});
const auth = secretKeyAuth([site('shop'), site('blog')]);
const basic = (user: string, password = '') =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('secret key authentication', () => {
  it.each([
    ['Bearer', 'Bearer sk_shop_0123', 'shop'],
    ['bearer, any case, trailing space', 'bearer sk_blog_0123 ', 'blog'],
    ['Basic user name', basic('sk_blog_0123'), 'blog'],
    ['Basic with a password', basic('sk_shop_0123', 'ignored'), 'shop'],
  ])('finds the site by %s', (_name, header, id) => {
    const result = auth.authenticate(header);
    expect(result.ok && result.value.id).toBe(id);
  });

  it.each([
    ['no header', undefined, 'missing_secret_key'],
    ['an empty header', '', 'missing_secret_key'],
    ['another scheme', 'Token sk_shop_0123', 'missing_secret_key'],
    ['an empty Basic user', basic(''), 'missing_secret_key'],
    ['an unknown key', 'Bearer sk_nope', 'invalid_secret_key'],
    ['a prefix of a key', 'Bearer sk_shop_012', 'invalid_secret_key'],
    ['a key with a suffix', 'Bearer sk_shop_01234', 'invalid_secret_key'],
    ['a quote injection', "Bearer sk_shop_0123'--", 'invalid_secret_key'],
    ['a write key as Bearer', 'Bearer wk_shop_0123', 'write_key_forbidden'],
    ['a write key as Basic', basic('wk_blog_0123'), 'write_key_forbidden'],
  ])('refuses %s', (_name, header, code) => {
    const result = auth.authenticate(header);
    expect(result.ok ? 'accepted' : result.code).toBe(code);
  });

  it('reads only the key out of a header', () => {
    expect(presentedKey('Bearer abc')).toBe('abc');
    expect(presentedKey('Bearer a b')).toBeUndefined();
    expect(presentedKey(basic('k', 'p'))).toBe('k');
  });
});
