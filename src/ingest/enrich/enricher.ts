import type { SiteConfig } from '../../config/index.js';
import {
  ConfigError,
  type ClickEvent,
  type EventType,
  type Result,
  fail,
  ok,
  toError,
} from '../../core/index.js';
import { type CampaignContext, type ChannelOptions, createChannelStep } from './channel.js';
import { type ConversionOptions, type ConversionStep, createConversionStep } from './conversion.js';
import { type GeoOptions, createGeoStep } from './geo.js';
import { knownReferrers } from './known-referrers.js';
import { type PageTypeOptions, type PageTypeStep, createPageTypeStep } from './page-type.js';
import { classifyReferrerForHost } from './referrer.js';
import { type UserAgentOptions, createUserAgentStep } from './user-agent.js';

/** The parts of a validated event that enrichment reads. */
export interface EnrichInput {
  /** The site the event came from: its own page-type rules and conversions apply. */
  readonly site: string;
  readonly type: EventType;
  readonly name: string;
  /** Page URL (context.page.url / properties.url); '' when the event has none. */
  readonly url: string;
  readonly referrer: string;
  readonly userAgent: string;
  /** Client IP as the collector saw it. Looked up, then truncated or dropped; never copied out. */
  readonly ip: string;
  /** Segment's context.campaign. */
  readonly campaign: CampaignContext | undefined;
  readonly properties: Readonly<Record<string, unknown>>;
}

export type Enrichment = Pick<
  ClickEvent,
  | 'path'
  | 'pageType'
  | 'browser'
  | 'os'
  | 'deviceType'
  | 'isBot'
  | 'ipPrefix'
  | 'country'
  | 'channel'
  | 'source'
  | 'medium'
  | 'campaign'
  | 'term'
  | 'content'
  | 'clickId'
  | 'referrerClass'
  | 'referrerDomain'
  | 'isConversion'
  | 'revenue'
  | 'currency'
>;

export interface EnricherOptions {
  readonly userAgent?: UserAgentOptions;
  readonly geo?: GeoOptions;
  readonly channel?: ChannelOptions;
  readonly pageType?: PageTypeOptions;
  readonly conversion?: ConversionOptions;
  /** Per site id: page types and conversions of that site, instead of the ones above. */
  readonly sites?: Readonly<Record<string, SiteEnrichmentOptions>>;
}

export interface SiteEnrichmentOptions {
  readonly pageType?: PageTypeOptions;
  readonly conversion?: ConversionOptions;
}

/** The sites' own enrichment settings (config), as EnricherOptions.sites. */
export function siteEnrichment(
  sites: readonly SiteConfig[],
): Readonly<Record<string, SiteEnrichmentOptions>> {
  const bySite: Record<string, SiteEnrichmentOptions> = {};
  for (const site of sites) {
    const conversion = {
      ...(site.conversionEvents === undefined ? {} : { events: site.conversionEvents }),
      ...(site.currency === undefined ? {} : { defaultCurrency: site.currency }),
    };
    const own = {
      ...(site.pageTypes === undefined ? {} : { pageType: { rules: site.pageTypes } }),
      ...(Object.keys(conversion).length === 0 ? {} : { conversion }),
    };
    // A site with nothing of its own uses the shared steps.
    if (Object.keys(own).length > 0) bySite[site.id] = own;
  }
  return bySite;
}

/** A site's own page-type and conversion steps. */
interface SiteSteps {
  readonly pageType: PageTypeStep;
  readonly conversion: ConversionStep;
}

export interface Enricher {
  /** Never throws: an unexpected failure inside a step comes back as `enrichment_failed`. */
  enrich(input: EnrichInput): Result<Enrichment, 'enrichment_failed'>;
}

interface PageUrl {
  readonly path: string;
  readonly hostname: string;
  readonly query: string;
}

const NO_PAGE: PageUrl = Object.freeze({ path: '', hostname: '', query: '' });
/** Resolves a path-only page URL; its host is never reported. */
const PATH_BASE = 'http://path.invalid';
const EMPTY_PROPERTIES: Readonly<Record<string, unknown>> = Object.freeze({});

/**
 * Builds every enrichment step once (options validated, regexes compiled, the geo and referrer
 * databases loaded — a problem there throws ConfigError now, not on the first event) and
 * composes them into one call per event.
 */
export function createEnricher(options: EnricherOptions = {}): Enricher {
  const userAgent = createUserAgentStep(options.userAgent);
  const geo = createGeoStep(options.geo);
  const channel = createChannelStep(options.channel);
  const defaults: SiteSteps = {
    pageType: createPageTypeStep(options.pageType),
    conversion: createConversionStep(options.conversion),
  };
  const bySite = new Map<string, SiteSteps>();
  for (const [site, own] of Object.entries(options.sites ?? {})) {
    bySite.set(site, siteSteps(site, own, options));
  }
  knownReferrers();

  return {
    enrich(input: EnrichInput): Result<Enrichment, 'enrichment_failed'> {
      try {
        const page = parsePageUrl(text(input.url));
        const agent = userAgent.parse(text(input.userAgent));
        const place = geo.locate(text(input.ip));
        const referrer = classifyReferrerForHost(text(input.referrer), page.hostname);
        const attribution = channel.attribute({
          query: page.query,
          campaign: isRecord(input.campaign) ? input.campaign : undefined,
          referrer,
        });
        const properties = isRecord(input.properties) ? input.properties : EMPTY_PROPERTIES;
        const steps = bySite.get(input.site) ?? defaults;
        const outcome = steps.conversion.evaluate(input.type, text(input.name), properties);
        return ok({
          path: page.path,
          pageType: steps.pageType.classify(page.path),
          browser: agent.browser,
          os: agent.os,
          deviceType: agent.deviceType,
          isBot: agent.isBot,
          ipPrefix: place.ipPrefix,
          country: place.country,
          channel: attribution.channel,
          source: attribution.source,
          medium: attribution.medium,
          campaign: attribution.campaign,
          term: attribution.term,
          content: attribution.content,
          clickId: attribution.clickId,
          referrerClass: referrer.referrerClass,
          referrerDomain: referrer.referrerDomain,
          isConversion: outcome.isConversion,
          revenue: outcome.revenue,
          currency: outcome.currency,
        });
      } catch (thrown) {
        const error = toError(thrown);
        return fail('enrichment_failed', `enrichment failed: ${error.message}`, {
          error: error.name,
        });
      }
    },
  };
}

/**
 * A site's steps: its own options where it has them, the shared ones otherwise. A bad rule is a
 * ConfigError that names the site.
 */
function siteSteps(site: string, own: SiteEnrichmentOptions, shared: EnricherOptions): SiteSteps {
  try {
    return {
      pageType: createPageTypeStep(own.pageType ?? shared.pageType),
      conversion: createConversionStep(own.conversion ?? shared.conversion),
    };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new ConfigError(
      `sites.${site}.${error.variable}`,
      error.message.slice(error.variable.length + 2),
      { cause: error },
    );
  }
}

/**
 * Path, host and query of the page URL. A path-only URL (`/pricing?x=1`) still gives a path and
 * query; host-less URLs (`javascript:`, `data:`, `file:`) and garbage give none of them.
 */
function parsePageUrl(url: string): PageUrl {
  if (url === '') return NO_PAGE;
  const absolute = tryUrl(url);
  if (absolute !== null) {
    if (absolute.hostname === '') return NO_PAGE;
    return { path: absolute.pathname, hostname: absolute.hostname, query: absolute.search };
  }
  if (!url.startsWith('/') || url.startsWith('//')) return NO_PAGE;
  const relative = tryUrl(url, PATH_BASE);
  return relative === null
    ? NO_PAGE
    : { path: relative.pathname, hostname: '', query: relative.search };
}

function tryUrl(url: string, base?: string): URL | null {
  try {
    return new URL(url, base);
  } catch {
    // Not a URL: the event keeps no path, which page type and channel treat as unknown.
    return null;
  }
}

/** Fields typed as strings may still hold anything when a caller cast its input. */
function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function isRecord(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
