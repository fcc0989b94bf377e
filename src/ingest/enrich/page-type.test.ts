import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../core/index.js';
import { HOSTILE_STRINGS } from './hostile-inputs.fixture.js';
import { type PageTypeRule, createPageTypeStep, isIdSegment, normalisePath } from './page-type.js';

describe('createPageTypeStep default (id stripping)', () => {
  const step = createPageTypeStep();

  it.each([
    ['/', '/'],
    ['', ''],
    ['/product/12345', '/product/:id'],
    ['/u/550e8400-e29b-41d4-a716-446655440000/edit', '/u/:id/edit'],
    ['/U/550E8400-E29B-41D4-A716-446655440000/Edit/', '/u/:id/edit'],
    ['/Products/Shoes/', '/products/shoes'],
    ['//a///b//', '/a/b'],
    ['/product/42?color=red#reviews', '/product/:id'],
    ['/?utm_source=x', '/'],
    ['/#top', '/'],
    ['?only=query', '/'],
    ['/order/5f2b8c9e1a3d4e6f7a8b9c0d', '/order/:id'], // Mongo ObjectId
    ['/commit/3f786850e387550fdab836ed7e6dc881de23001b', '/commit/:id'], // SHA-1
    ['/asset/d41d8cd98f00b204e9800998ecf8427e.png', '/asset/:id'], // hash with extension
    ['/s/V1StGXR8_Z5jdHi6B-myT', '/s/:id'], // nanoid
    ['/t/eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abc123def456', '/t/:id'], // JWT-ish
    ['/archive/2024-01-15/news', '/archive/:id/news'],
    ['/docs/1.2.3/intro', '/docs/:id/intro'],
    ['/api/v2/users/7/orders/8', '/api/v2/users/:id/orders/:id'],
    ['/blog/how-to-cook-pasta-in-2024', '/blog/how-to-cook-pasta-in-2024'], // a slug, not an id
    ['/reports/annual-report-2024.pdf', '/reports/annual-report-2024.pdf'],
    ['/cafe/deadbeef', '/cafe/deadbeef'], // hex letters but no digit: a word
    ['/p/abc123', '/p/abc123'], // short
    ['/caf%C3%A9/1', '/caf%c3%a9/:id'],
    ['/日本語/123', '/日本語/:id'],
    ['product/9', '/product/:id'], // missing leading slash
  ])('%s -> %s', (path, pageType) => {
    expect(step.classify(path)).toBe(pageType);
  });

  it.each(HOSTILE_STRINGS.map((s) => [JSON.stringify(s.slice(0, 40)), s]))(
    'survives hostile path %s',
    (_label, path) => {
      const pageType = step.classify(path);
      expect(typeof pageType).toBe('string');
      expect(pageType === '' || pageType.startsWith('/')).toBe(true);
    },
  );

  it('handles a 10k-segment path in linear time', () => {
    const path = '/1'.repeat(10_000);
    expect(step.classify(path)).toBe('/:id'.repeat(10_000));
  });
});

describe('createPageTypeStep rules', () => {
  const rules: PageTypeRule[] = [
    { pattern: '^/(en|de)/products?/\\d+$', pageType: 'product' },
    { pattern: '/checkout/**', pageType: 'checkout' },
    { pattern: '/u/*/edit', pageType: 'profile-edit' },
    { pattern: '/**/thank-you', pageType: 'thank-you' },
    { pattern: '/search', pageType: 'search' },
    { pattern: '/v?/docs', pageType: 'docs' },
    { pattern: '/file.html', pageType: 'file' },
  ];
  const step = createPageTypeStep({ rules });

  it.each([
    ['/en/product/12', 'product'],
    ['/DE/Products/12/', 'product'],
    ['/fr/product/12', '/fr/product/:id'],
    ['/checkout', 'checkout'],
    ['/checkout/payment/step-2', 'checkout'],
    ['/checkouts', '/checkouts'],
    ['/u/42/edit', 'profile-edit'],
    ['/u/42/43/edit', '/u/:id/:id/edit'],
    ['/thank-you', 'thank-you'],
    ['/order/7/thank-you', 'thank-you'],
    ['/order/7/bethank-you', '/order/:id/bethank-you'],
    ['/search?q=shoes', 'search'],
    ['/search/', 'search'],
    ['/searching', '/searching'],
    ['/v2/docs', 'docs'],
    ['/v22/docs', '/v22/docs'],
    ['/file.html', 'file'],
    ['/fileXhtml', '/filexhtml'], // the dot is literal
  ])('%s -> %s', (path, pageType) => {
    expect(step.classify(path)).toBe(pageType);
  });

  it('uses the first matching rule', () => {
    const ordered = createPageTypeStep({
      rules: [
        { pattern: '/a/*', pageType: 'first' },
        { pattern: '/a/b', pageType: 'second' },
      ],
    });
    expect(ordered.classify('/a/b')).toBe('first');
  });

  it.each<[string, unknown, RegExp]>([
    [
      'an invalid regex',
      [{ pattern: '^/(unclosed', pageType: 'x' }],
      /pageType\.rules\[0\].*\^\/\(unclosed.*not a valid regular expression/,
    ],
    [
      'a pattern that is neither',
      [{ pattern: 'product/*', pageType: 'x' }],
      /pageType\.rules\[0\].*must be a path glob/,
    ],
    [
      'an empty pattern',
      [{ pattern: '', pageType: 'x' }],
      /pageType\.rules\[0\]: pattern must be a non-empty string/,
    ],
    [
      'a missing page type',
      [{ pattern: '/a', pageType: ' ' }],
      /pageType\.rules\[0\].*pageType for pattern "\/a"/,
    ],
    ['a non-object rule', ['/a'], /pageType\.rules\[0\]: must be an object/],
    [
      'the second rule bad',
      [
        { pattern: '/a', pageType: 'a' },
        { pattern: '^[', pageType: 'b' },
      ],
      /pageType\.rules\[1\]/,
    ],
    ['rules not an array', 'oops', /pageType\.rules: must be an array/],
  ])('reports %s at construction, naming the rule', (_name, badRules, message) => {
    const build = () => createPageTypeStep({ rules: badRules as PageTypeRule[] });
    expect(build).toThrow(ConfigError);
    expect(build).toThrow(message);
  });
});

describe('normalisePath', () => {
  it.each([
    ['', ''],
    ['/', '/'],
    ['///', '/'],
    ['/A/B/', '/a/b'],
    ['/a?b=/c', '/a'],
    ['/a#/b?c', '/a'],
  ])('%s -> %s', (path, normalised) => {
    expect(normalisePath(path)).toBe(normalised);
  });
});

describe('isIdSegment', () => {
  it.each([
    '0',
    '12345',
    '2024-01-15',
    '1.2.3',
    'abcdef12',
    '550e8400-e29b-41d4-a716-446655440000',
    'V1StGXR8_Z5jdHi6B-myT',
  ])('%s is an id', (segment) => {
    expect(isIdSegment(segment)).toBe(true);
  });

  it.each([
    '',
    'products',
    'v2',
    'abc123',
    'deadbeef',
    'my-post-about-2024-things',
    'iphone-15-pro-max-256gb',
    'x'.repeat(10_000),
    '\u0000',
  ])('%s is not an id', (segment) => {
    expect(isIdSegment(segment)).toBe(false);
  });
});
