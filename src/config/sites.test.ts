import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../core/index.js';
import { loadConfig } from './config.js';
import { loadSites, normaliseOrigin, parseSites } from './sites.js';

const good = {
  id: 'shop',
  writeKey: 'wk_shop_12345',
  secretKey: 'sk_shop_1234567890',
  allowedOrigins: ['https://Shop.Example/', 'http://localhost:3000'],
  respectDoNotTrack: true,
};

describe('sites', () => {
  it('parses a site and normalises its origins', () => {
    expect(parseSites({ sites: [good] }, 'PATHCAST_SITES')).toEqual([
      { ...good, allowedOrigins: ['https://shop.example', 'http://localhost:3000'] },
    ]);
  });

  it.each([
    ['not an object', 'nope', /expected \{"sites"/],
    ['sites not an array', { sites: {} }, /expected \{"sites"/],
    ['bad id', { sites: [{ ...good, id: 'a b' }] }, /sites\[0\]\.id/],
    ['short key', { sites: [{ ...good, writeKey: 'x' }] }, /sites\[0\]\.writeKey/],
    [
      'duplicate id',
      { sites: [good, { ...good, writeKey: 'wk_other_123', secretKey: 'sk_other_123' }] },
      /duplicate site id/,
    ],
    [
      'shared key',
      { sites: [good, { ...good, id: 'b', secretKey: 'sk_other_123' }] },
      /keys must be unique/,
    ],
    ['bad origin', { sites: [{ ...good, allowedOrigins: ['shop.example'] }] }, /not an origin/],
    ['page types not a list', { sites: [{ ...good, pageTypes: '/p/*' }] }, /sites\[0\]\.pageTypes/],
    [
      'a page type without a name',
      { sites: [{ ...good, pageTypes: [{ pattern: '/p/*', pageType: '' }] }] },
      /sites\[0\]\.pageTypes\[0\]/,
    ],
    [
      'a blank conversion event',
      { sites: [{ ...good, conversionEvents: ['Purchase', ' '] }] },
      /sites\[0\]\.conversionEvents/,
    ],
    [
      'a currency that is no code',
      { sites: [{ ...good, currency: 'euro' }] },
      /sites\[0\]\.currency/,
    ],
    [
      'origin with a path',
      { sites: [{ ...good, allowedOrigins: ['https://x.test/path'] }] },
      /not an origin/,
    ],
    ['dnt not boolean', { sites: [{ ...good, respectDoNotTrack: 'yes' }] }, /respectDoNotTrack/],
  ])('rejects %s with the place named', (_name, value, message) => {
    expect(() => parseSites(value, 'PATHCAST_SITES')).toThrow(ConfigError);
    expect(() => parseSites(value, 'PATHCAST_SITES')).toThrow(message);
  });

  it("reads a site's page types, conversion events and currency", () => {
    const [site] = parseSites(
      {
        sites: [
          {
            ...good,
            pageTypes: [
              { pattern: '/product/*', pageType: 'product' },
              { pattern: '^/(en|de)/cart$', pageType: 'cart' },
            ],
            conversionEvents: ['Purchase'],
            currency: ' eur ',
          },
        ],
      },
      'PATHCAST_SITES',
    );
    expect(site).toMatchObject({
      pageTypes: [
        { pattern: '/product/*', pageType: 'product' },
        { pattern: '^/(en|de)/cart$', pageType: 'cart' },
      ],
      conversionEvents: ['Purchase'],
      currency: 'EUR',
    });
  });

  it('reads PATHCAST_SITES through loadConfig, and a file before it', () => {
    const fromEnv = loadConfig({ PATHCAST_SITES: JSON.stringify({ sites: [good] }) });
    expect(fromEnv.sites.generatedDemo).toBe(false);
    expect(fromEnv.sites.sites[0]?.id).toBe('shop');
    const dir = mkdtempSync(join(tmpdir(), 'pathcast-sites-'));
    const file = join(dir, 'pathcast.json');
    writeFileSync(file, JSON.stringify({ sites: [{ ...good, id: 'from-file' }] }));
    expect(loadSites({ sites: [good] }, file).sites[0]?.id).toBe('from-file');
    writeFileSync(file, '{ not json');
    expect(() => loadSites(undefined, file)).toThrow(/not JSON/);
    expect(() => loadSites(undefined, join(dir, 'missing.json'))).toThrow(/cannot read/);
  });

  it('makes up a demo site with fresh keys when nothing is configured', () => {
    const a = loadConfig({}).sites;
    const b = loadConfig({}).sites;
    expect(a.generatedDemo).toBe(true);
    expect(a.sites[0]?.id).toBe('demo');
    expect(a.sites[0]?.writeKey).not.toBe(b.sites[0]?.writeKey);
  });

  it.each([
    ['https://Shop.Example:443/', 'https://shop.example'],
    ['http://localhost:3000', 'http://localhost:3000'],
    ['ftp://x', ''],
    ['null', ''],
    ['', ''],
  ])('normaliseOrigin(%j) = %j', (input, expected) => {
    expect(normaliseOrigin(input)).toBe(expected);
  });
});
