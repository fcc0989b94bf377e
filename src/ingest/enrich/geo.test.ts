import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../core/index.js';
import { GEO_ATTRIBUTION, dbIpCountryLookup } from './dbip-country.js';
import { type IpMode, createGeoStep } from './geo.js';
import { HOSTILE_STRINGS } from './hostile-inputs.fixture.js';

describe('createGeoStep with the bundled DB-IP database', () => {
  const truncate = createGeoStep();
  const drop = createGeoStep({ ipMode: 'drop' });

  // Addresses of long-lived, well-known networks, so a monthly database update keeps them.
  it.each([
    ['Google DNS', '8.8.8.8', 'US', '8.8.8.0/24'],
    ['Cloudflare DNS', '1.1.1.1', 'AU', '1.1.1.0/24'],
    ['GB range used by MaxMind test data', '81.2.69.160', 'GB', '81.2.69.0/24'],
    ['Google IPv6 (DE)', '2a00:1450:4001:81b::200e', 'DE', '2a00:1450:4001::/48'],
    ['IPv4-mapped IPv6 is looked up as IPv4', '::ffff:8.8.8.8', 'US', '8.8.8.0/24'],
    ['private IPv4 has no country but is truncated', '192.168.1.77', '', '192.168.1.0/24'],
    ['loopback IPv6', '::1', '', '::/48'],
  ])('%s', (_name, ip, country, ipPrefix) => {
    expect(truncate.locate(ip)).toEqual({ country, ipPrefix });
    expect(drop.locate(ip)).toEqual({ country, ipPrefix: '' });
  });

  it.each(HOSTILE_STRINGS.map((s) => [JSON.stringify(s.slice(0, 40)), s]))(
    'gives nothing for hostile input %s',
    (_label, ip) => {
      expect(truncate.locate(ip)).toEqual({ country: '', ipPrefix: '' });
    },
  );

  it('keeps one database reader per process', () => {
    expect(dbIpCountryLookup()).toBe(dbIpCountryLookup());
  });

  it('credits DB-IP as its licence requires', () => {
    expect(GEO_ATTRIBUTION).toBe('IP geolocation by DB-IP (https://db-ip.com), CC BY 4.0');
  });
});

describe('createGeoStep options', () => {
  it('uses an injected lookup with the normalised address', () => {
    const seen: string[] = [];
    const step = createGeoStep({
      lookup: {
        country(address) {
          seen.push(address);
          return 'FR';
        },
      },
    });
    expect(step.locate('[::FFFF:10.0.0.1]')).toEqual({ country: 'FR', ipPrefix: '10.0.0.0/24' });
    expect(step.locate('not an ip')).toEqual({ country: '', ipPrefix: '' });
    expect(seen).toEqual(['10.0.0.1']);
  });

  it('remembers recent IPs unless the cache is off', () => {
    let calls = 0;
    const lookup = {
      country() {
        calls += 1;
        return 'NL';
      },
    };
    const cached = createGeoStep({ lookup });
    cached.locate('1.2.3.4');
    expect(cached.locate('1.2.3.4')).toEqual({ country: 'NL', ipPrefix: '1.2.3.0/24' });
    expect(calls).toBe(1);
    const uncached = createGeoStep({ lookup, cacheSize: 0 });
    uncached.locate('1.2.3.4');
    uncached.locate('1.2.3.4');
    expect(calls).toBe(3);
  });

  it('rejects an unknown ipMode at construction', () => {
    expect(() => createGeoStep({ ipMode: 'keep' as IpMode })).toThrow(ConfigError);
  });

  it.each([-1, 1.5, Number.NaN])('rejects cacheSize %s at construction', (cacheSize) => {
    expect(() => createGeoStep({ cacheSize })).toThrow(ConfigError);
  });
});
