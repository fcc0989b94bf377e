import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError } from '../core/index.js';

/** A website (tenant) that sends events. */
export interface SiteConfig {
  readonly id: string;
  /** Public key the site's tracking code sends; it can write events and read nothing. */
  readonly writeKey: string;
  /** Private key of the site's backend: signs live-score tokens and reads the dashboard API. */
  readonly secretKey: string;
  /** Origins (scheme://host[:port]) browsers may send from; empty = any origin. */
  readonly allowedOrigins: readonly string[];
  /** Drop events from browsers that send Do-Not-Track or Global Privacy Control. */
  readonly respectDoNotTrack: boolean;
  /**
   * The site's page types by URL path, checked in order, first match wins (a `^` regular
   * expression or a `/` path glob: see src/ingest/enrich/page-type.ts). Unmatched paths, and
   * every path when there are none, get the path with its ids replaced by `:id`.
   */
  readonly pageTypes?: readonly PageTypeRuleConfig[];
  /** `track` event names that are the site's conversions; default Order Completed, Signed Up. */
  readonly conversionEvents?: readonly string[];
  /** ISO 4217 code for revenue sent without a currency; default USD. */
  readonly currency?: string;
}

export interface PageTypeRuleConfig {
  readonly pattern: string;
  readonly pageType: string;
}

export interface SitesConfig {
  readonly sites: readonly SiteConfig[];
  /** True when no sites were configured and a `demo` site was made up. */
  readonly generatedDemo: boolean;
}

const ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/**
 * Parses `{ "sites": [{ "id", "writeKey", "secretKey", "allowedOrigins", "respectDoNotTrack",
 * "pageTypes", "conversionEvents", "currency" }] }`
 * from `where` (a variable or file name, for error messages). Keys must be unique across sites.
 */
export function parseSites(value: unknown, where: string): SiteConfig[] {
  const sites = (value as { sites?: unknown } | null)?.sites;
  if (typeof value !== 'object' || value === null || !Array.isArray(sites)) {
    throw new ConfigError(where, 'expected {"sites": [...]}');
  }
  const seenIds = new Set<string>();
  const seenKeys = new Set<string>();
  return sites.map((raw: unknown, index) => {
    const at = `${where} sites[${index}]`;
    if (typeof raw !== 'object' || raw === null) throw new ConfigError(at, 'expected an object');
    const site = raw as Record<string, unknown>;
    const id = site['id'];
    if (typeof id !== 'string' || !ID.test(id)) {
      throw new ConfigError(`${at}.id`, 'expected 1-64 letters, digits, "_", "." or "-"');
    }
    const writeKey = requireKey(site['writeKey'], `${at}.writeKey`);
    const secretKey = requireKey(site['secretKey'], `${at}.secretKey`);
    if (seenIds.has(id)) throw new ConfigError(`${at}.id`, `duplicate site id "${id}"`);
    for (const [key, name] of [
      [writeKey, 'writeKey'],
      [secretKey, 'secretKey'],
    ] as const) {
      if (seenKeys.has(key)) throw new ConfigError(`${at}.${name}`, 'keys must be unique');
      seenKeys.add(key);
    }
    seenIds.add(id);
    const origins = site['allowedOrigins'] ?? [];
    if (!Array.isArray(origins) || !origins.every((o) => typeof o === 'string')) {
      throw new ConfigError(`${at}.allowedOrigins`, 'expected an array of origins');
    }
    for (const origin of origins as string[]) {
      if (origin !== '*' && normaliseOrigin(origin) !== origin.toLowerCase().replace(/\/$/, '')) {
        throw new ConfigError(
          `${at}.allowedOrigins`,
          `"${origin}" is not an origin like https://shop.example`,
        );
      }
    }
    const dnt = site['respectDoNotTrack'] ?? false;
    if (typeof dnt !== 'boolean') {
      throw new ConfigError(`${at}.respectDoNotTrack`, 'expected true or false');
    }
    return {
      id,
      writeKey,
      secretKey,
      allowedOrigins: (origins as string[]).map((o) => o.toLowerCase().replace(/\/$/, '')),
      respectDoNotTrack: dnt,
      ...enrichmentOf(site, at),
    };
  });
}

/**
 * A site's enrichment settings, checked for shape here; the patterns are compiled, and checked,
 * by the enricher at start-up (a ConfigError naming the site).
 */
function enrichmentOf(
  site: Readonly<Record<string, unknown>>,
  at: string,
): Pick<SiteConfig, 'pageTypes' | 'conversionEvents' | 'currency'> {
  const out: { -readonly [K in 'pageTypes' | 'conversionEvents' | 'currency']?: SiteConfig[K] } =
    {};
  const pageTypes = site['pageTypes'];
  if (pageTypes !== undefined) {
    if (!Array.isArray(pageTypes)) {
      throw new ConfigError(`${at}.pageTypes`, 'expected an array of {"pattern", "pageType"}');
    }
    out.pageTypes = pageTypes.map((rule: unknown, i) => {
      const { pattern, pageType } = (rule ?? {}) as Record<string, unknown>;
      if (typeof pattern !== 'string' || typeof pageType !== 'string' || pageType === '') {
        throw new ConfigError(
          `${at}.pageTypes[${i}]`,
          'expected {"pattern": "/path/*" or "^regex", "pageType": "name"}',
        );
      }
      return { pattern, pageType };
    });
  }
  const events = site['conversionEvents'];
  if (events !== undefined) {
    if (!Array.isArray(events) || !events.every((e) => typeof e === 'string' && e.trim() !== '')) {
      throw new ConfigError(`${at}.conversionEvents`, 'expected an array of event names');
    }
    out.conversionEvents = events as string[];
  }
  const currency = site['currency'];
  if (currency !== undefined) {
    if (typeof currency !== 'string' || !/^[A-Za-z]{3}$/.test(currency.trim())) {
      throw new ConfigError(`${at}.currency`, 'expected a 3-letter ISO 4217 code such as "EUR"');
    }
    out.currency = currency.trim().toUpperCase();
  }
  return out;
}

function requireKey(value: unknown, where: string): string {
  if (typeof value !== 'string' || value.length < 8 || value.length > 256 || /\s/.test(value)) {
    throw new ConfigError(where, 'expected a key of 8-256 characters without spaces');
  }
  return value;
}

/** scheme://host[:port] in lower case, or '' when `text` is not an http(s) origin. */
export function normaliseOrigin(text: string): string {
  try {
    const url = new URL(text);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return '';
    return url.origin.toLowerCase();
  } catch {
    return '';
  }
}

/** A site for a first run with nothing configured; its keys are printed at start-up. */
export function demoSite(): SiteConfig {
  return {
    id: 'demo',
    writeKey: `wk_demo_${randomBytes(9).toString('base64url')}`,
    secretKey: `sk_demo_${randomBytes(18).toString('base64url')}`,
    allowedOrigins: [],
    respectDoNotTrack: false,
  };
}

/**
 * Sites from a config file (`pathcast start --config FILE`), else the same JSON in
 * PATHCAST_SITES, else a generated demo site.
 */
export function loadSites(sitesJson: unknown, configFile: string | undefined): SitesConfig {
  if (configFile !== undefined) {
    let text: string;
    try {
      text = readFileSync(configFile, 'utf8');
    } catch (error) {
      throw new ConfigError('--config', `cannot read ${configFile}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new ConfigError(configFile, `not JSON: ${(error as Error).message}`, { cause: error });
    }
    return { sites: parseSites(parsed, configFile), generatedDemo: false };
  }
  if (sitesJson !== undefined) {
    return { sites: parseSites(sitesJson, 'PATHCAST_SITES'), generatedDemo: false };
  }
  return { sites: [demoSite()], generatedDemo: true };
}
