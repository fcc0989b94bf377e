import { describe, expect, it } from 'vitest';
import { ConfigError, DEVICE_TYPES, type EventType } from '../../core/index.js';
import { HOSTILE_STRINGS } from './hostile-inputs.fixture.js';
import { CHANNELS, type EnrichInput, type Enrichment, createEnricher } from './index.js';

const CHROME =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';
const IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1';

function input(overrides: Partial<EnrichInput> = {}): EnrichInput {
  return {
    site: 'shop',
    type: 'page',
    name: '',
    url: 'https://www.shop.example/product/12345',
    referrer: '',
    userAgent: CHROME,
    ip: '8.8.8.8',
    campaign: undefined,
    properties: {},
    ...overrides,
  };
}

function enriched(enrichment: ReturnType<ReturnType<typeof createEnricher>['enrich']>): Enrichment {
  if (!enrichment.ok) throw new Error(`expected ok, got ${enrichment.code}: ${enrichment.reason}`);
  return enrichment.value;
}

describe('createEnricher', () => {
  describe('per site', () => {
    const perSite = createEnricher({
      conversion: { events: ['Order Completed'] },
      sites: {
        books: {
          pageType: { rules: [{ pattern: '/title/*', pageType: 'book' }] },
          conversion: { events: ['Book Bought'], defaultCurrency: 'EUR' },
        },
        // Only its own page types: its conversions are the shared ones.
        news: { pageType: { rules: [{ pattern: '^/\\d{4}/.+', pageType: 'article' }] } },
      },
    });
    const page = (site: string, url: string) =>
      enriched(perSite.enrich(input({ site, url }))).pageType;
    const bought = (site: string, name: string) =>
      enriched(perSite.enrich(input({ site, type: 'track', name, properties: { revenue: 12.5 } })));

    it("classifies pages by the event site's own rules, others by the shared default", () => {
      expect(page('books', 'https://books.example/title/dune')).toBe('book');
      expect(page('news', 'https://news.example/2026/11/budget')).toBe('article');
      expect(page('shop', 'https://shop.example/title/dune')).toBe('/title/dune');
      expect(page('books', 'https://books.example/2026/11/budget')).toBe('/:id/:id/budget');
    });

    it("counts the event site's own conversions, with its default currency", () => {
      expect(bought('books', 'Book Bought')).toMatchObject({
        isConversion: true,
        revenue: 12.5,
        currency: 'EUR',
      });
      expect(bought('books', 'Order Completed').isConversion).toBe(false);
      expect(bought('news', 'Order Completed')).toMatchObject({
        isConversion: true,
        currency: 'USD',
      });
      expect(bought('shop', 'Book Bought').isConversion).toBe(false);
    });

    it('refuses a bad rule of one site at construction, naming the site', () => {
      expect(() =>
        createEnricher({
          sites: { books: { pageType: { rules: [{ pattern: '^(', pageType: 'x' }] } } },
        }),
      ).toThrow(/^sites\.books\.pageType\.rules\[0\]/);
    });
  });

  const enricher = createEnricher();

  it('enriches a paid-search landing on a product page', () => {
    const result = enricher.enrich(
      input({
        url: 'https://www.shop.example/product/12345?gclid=Cj0KCQ&utm_campaign=Brand',
        referrer: 'https://www.google.com/',
        userAgent: IPHONE,
        ip: '::ffff:81.2.69.160',
      }),
    );
    expect(enriched(result)).toEqual({
      path: '/product/12345',
      pageType: '/product/:id',
      browser: 'Mobile Safari',
      os: 'iOS',
      deviceType: 'mobile',
      isBot: false,
      ipPrefix: '81.2.69.0/24',
      country: 'GB',
      channel: 'Paid Search',
      source: 'google',
      medium: 'cpc',
      campaign: 'Brand',
      term: '',
      content: '',
      clickId: 'gclid',
      referrerClass: 'search',
      referrerDomain: 'google.com',
      isConversion: false,
      revenue: 0,
      currency: '',
    });
  });

  it('enriches an organic-search visit', () => {
    const value = enriched(
      enricher.enrich(input({ referrer: 'https://www.bing.com/search?q=shoes' })),
    );
    expect(value).toMatchObject({
      channel: 'Organic Search',
      source: 'bing',
      medium: 'organic',
      referrerClass: 'search',
    });
  });

  it('keeps internal navigation direct and strips nothing it should not', () => {
    const value = enriched(
      enricher.enrich(
        input({ url: 'https://www.shop.example/', referrer: 'https://shop.example/cart' }),
      ),
    );
    expect(value).toMatchObject({
      path: '/',
      pageType: '/',
      channel: 'Direct',
      source: '(direct)',
      medium: '(none)',
      referrerClass: 'internal',
      referrerDomain: 'shop.example',
    });
  });

  it('lets Segment context.campaign override the URL', () => {
    const value = enriched(
      enricher.enrich(
        input({
          url: 'https://www.shop.example/?utm_source=google&utm_medium=cpc',
          campaign: { source: 'newsletter', medium: 'email', name: 'Weekly' },
        }),
      ),
    );
    expect(value).toMatchObject({
      channel: 'Email',
      source: 'newsletter',
      medium: 'email',
      campaign: 'Weekly',
    });
  });

  it('reports a conversion with its revenue', () => {
    const value = enriched(
      enricher.enrich(
        input({
          type: 'track',
          name: 'Order Completed',
          properties: { revenue: '99.5', currency: 'eur' },
        }),
      ),
    );
    expect(value).toMatchObject({ isConversion: true, revenue: 99.5, currency: 'EUR' });
  });

  it('flags bots', () => {
    const value = enriched(
      enricher.enrich(
        input({
          userAgent: 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
        }),
      ),
    );
    expect(value).toMatchObject({ isBot: true, deviceType: 'bot' });
  });

  it('drops the IP entirely in drop mode but still finds the country', () => {
    const dropping = createEnricher({ geo: { ipMode: 'drop' } });
    expect(enriched(dropping.enrich(input()))).toMatchObject({ ipPrefix: '', country: 'US' });
  });

  it('passes options through to the steps', () => {
    const custom = createEnricher({
      pageType: { rules: [{ pattern: '/product/*', pageType: 'product' }] },
      conversion: { events: ['Product Viewed'], defaultCurrency: 'GBP' },
      channel: { fbclid: 'paid' },
      userAgent: { cacheSize: 10 },
    });
    const value = enriched(
      custom.enrich(
        input({
          type: 'track',
          name: 'Product Viewed',
          url: 'https://www.shop.example/product/1?fbclid=x',
        }),
      ),
    );
    expect(value).toMatchObject({
      pageType: 'product',
      isConversion: true,
      currency: 'GBP',
      channel: 'Paid Social',
    });
  });

  it('takes a path-only URL and gives no host to compare referrers with', () => {
    const value = enriched(
      enricher.enrich(
        input({
          url: '/pricing/?utm_source=x&utm_medium=cpc',
          referrer: 'https://www.shop.example/',
        }),
      ),
    );
    expect(value).toMatchObject({
      path: '/pricing/',
      pageType: '/pricing',
      source: 'x',
      referrerClass: 'external',
    });
  });

  it.each(['', 'javascript:alert(1)', 'not a url', '//evil.example/x', 'file:///etc/passwd'])(
    'gives no path for page URL %s',
    (url) => {
      expect(enriched(enricher.enrich(input({ url })))).toMatchObject({ path: '', pageType: '' });
    },
  );

  it('never returns the raw IP anywhere', () => {
    for (const ip of ['81.2.69.160', '2a00:1450:4001:81b::200e', '::ffff:81.2.69.160']) {
      const value = enriched(enricher.enrich(input({ ip })));
      expect(JSON.stringify(value)).not.toContain(ip.replace('::ffff:', ''));
    }
  });

  it.each(HOSTILE_STRINGS.map((s) => [JSON.stringify(s.slice(0, 40)), s]))(
    'enriches hostile input %s in every field without throwing',
    (_label, text) => {
      const result = enricher.enrich({
        site: text,
        type: 'track',
        name: text,
        url: text,
        referrer: text,
        userAgent: text,
        ip: text,
        campaign: { source: text, medium: text, name: text, term: text, content: text },
        properties: { revenue: text, currency: text },
      });
      const value = enriched(result);
      expect(CHANNELS).toContain(value.channel);
      expect(DEVICE_TYPES).toContain(value.deviceType);
      expect(value.ipPrefix).toBe('');
    },
  );

  it('survives inputs that break the declared types', () => {
    const garbage = {
      type: 'track' as EventType,
      name: 42,
      url: null,
      referrer: { href: 'x' },
      userAgent: undefined,
      ip: ['1.2.3.4'],
      campaign: 'utm_source=google',
      properties: null,
    } as unknown as EnrichInput;
    const value = enriched(enricher.enrich(garbage));
    expect(value).toMatchObject({ path: '', channel: 'Direct', ipPrefix: '', isConversion: false });
  });

  it('turns an exception inside a step into enrichment_failed', () => {
    const exploding = createEnricher({
      geo: {
        lookup: {
          country() {
            throw new Error('database corrupt');
          },
        },
      },
    });
    const result = exploding.enrich(input());
    expect(result).toEqual({
      ok: false,
      code: 'enrichment_failed',
      reason: 'enrichment failed: database corrupt',
      details: { error: 'Error' },
    });
  });

  it('turns a throwing properties getter into enrichment_failed', () => {
    const properties = Object.defineProperty({}, 'revenue', {
      enumerable: true,
      get() {
        throw 'not even an Error';
      },
    }) as Record<string, unknown>;
    const result = enricher.enrich(input({ type: 'track', name: 'Order Completed', properties }));
    expect(result.ok).toBe(false);
    expect(!result.ok && result.code).toBe('enrichment_failed');
  });

  it('reports bad options at construction', () => {
    expect(() =>
      createEnricher({ pageType: { rules: [{ pattern: '^(', pageType: 'x' }] } }),
    ).toThrow(ConfigError);
  });
});
