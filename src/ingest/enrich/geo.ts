import { LRUCache } from 'lru-cache';
import { ConfigError } from '../../core/index.js';
import { type CountryLookup, dbIpCountryLookup } from './dbip-country.js';
import { MAX_IP_LENGTH, parseClientIp } from './ip-address.js';

/** What is kept of the IP after the geo lookup: its network, or nothing. */
export const IP_MODES = ['truncate', 'drop'] as const;
export type IpMode = (typeof IP_MODES)[number];

export interface GeoOptions {
  /**
   * `truncate` (default) keeps the /24 (IPv4) or /48 (IPv6) network, `drop` keeps nothing.
   * The raw address is never kept either way.
   */
  readonly ipMode?: IpMode;
  /** Country database. Default: the process-wide DB-IP Lite reader (see GEO_ATTRIBUTION). */
  readonly lookup?: CountryLookup;
  /** How many recent client IPs to remember the answer for. Default 10,000; 0 disables. */
  readonly cacheSize?: number;
}

export interface GeoConfig {
  readonly ipMode: IpMode;
  readonly lookup: CountryLookup;
  readonly cacheSize: number;
}

export const DEFAULT_GEO_CACHE_SIZE = 10_000;

export interface GeoInfo {
  /** ISO 3166-1 alpha-2, or '' when unknown. */
  readonly country: string;
  /** `a.b.c.0/24`, `x:y:z::/48`, or '' when dropped or not an IP. */
  readonly ipPrefix: string;
}

export interface GeoStep {
  locate(ip: string): GeoInfo;
}

const NO_GEO: GeoInfo = Object.freeze({ country: '', ipPrefix: '' });

export function resolveGeoConfig(options: GeoOptions = {}): GeoConfig {
  const ipMode = options.ipMode ?? 'truncate';
  if (!IP_MODES.includes(ipMode)) {
    throw new ConfigError(
      'geo.ipMode',
      `must be one of ${IP_MODES.join(', ')}, got ${String(ipMode)}`,
    );
  }
  const cacheSize = options.cacheSize ?? DEFAULT_GEO_CACHE_SIZE;
  if (!Number.isSafeInteger(cacheSize) || cacheSize < 0) {
    throw new ConfigError('geo.cacheSize', `must be a non-negative integer, got ${cacheSize}`);
  }
  // Opened here, not on the first event, so a missing database stops start-up.
  return { ipMode, lookup: options.lookup ?? dbIpCountryLookup(), cacheSize };
}

/** Country from the client IP, then the IP truncated or dropped. Invalid IPs give ''. */
export function createGeoStep(options: GeoOptions = {}): GeoStep {
  const { ipMode, lookup, cacheSize } = resolveGeoConfig(options);
  const locate = (ip: string): GeoInfo => {
    const parsed = parseClientIp(ip);
    if (parsed === null) return NO_GEO;
    return Object.freeze({
      country: lookup.country(parsed.address),
      ipPrefix: ipMode === 'truncate' ? parsed.prefix : '',
    });
  };
  if (cacheSize === 0) return { locate };

  // A visitor sends all of a session's events from one IP, and parsing plus the tree walk cost
  // ~2 us. NOTE: the keys are raw IPs, held in memory only as long as the events carrying them
  // are; they are never written anywhere.
  const cache = new LRUCache<string, GeoInfo>({ max: cacheSize });
  return {
    locate(ip: string): GeoInfo {
      // Garbage too long to be an IP must not take cache room.
      if (ip.length > MAX_IP_LENGTH) return NO_GEO;
      let info = cache.get(ip);
      if (info === undefined) {
        info = locate(ip);
        cache.set(ip, info);
      }
      return info;
    },
  };
}
