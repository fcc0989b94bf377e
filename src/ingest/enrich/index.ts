// Enrichment of ingested events: small steps, each usable alone, composed by createEnricher.
export {
  createEnricher,
  siteEnrichment,
  type SiteEnrichmentOptions,
  type Enricher,
  type EnricherOptions,
  type EnrichInput,
  type Enrichment,
} from './enricher.js';
export {
  createUserAgentStep,
  resolveUserAgentConfig,
  DEFAULT_USER_AGENT_CACHE_SIZE,
  MAX_USER_AGENT_LENGTH,
  type UserAgentConfig,
  type UserAgentInfo,
  type UserAgentOptions,
  type UserAgentStep,
} from './user-agent.js';
export {
  createGeoStep,
  resolveGeoConfig,
  DEFAULT_GEO_CACHE_SIZE,
  IP_MODES,
  type GeoConfig,
  type GeoInfo,
  type GeoOptions,
  type GeoStep,
  type IpMode,
} from './geo.js';
export { GEO_ATTRIBUTION, dbIpCountryLookup, type CountryLookup } from './dbip-country.js';
export { parseClientIp, type ClientIp } from './ip-address.js';
export {
  classifyReferrer,
  classifyReferrerForHost,
  REFERRER_CLASSES,
  type ReferrerClass,
  type ReferrerInfo,
} from './referrer.js';
export { sourceCategory, SOURCE_CATEGORIES, type SourceCategory } from './source-categories.js';
export {
  channelFor,
  isPaidMedium,
  CHANNELS,
  type Channel,
  type ChannelRuleInput,
} from './channel-rules.js';
export { CLICK_IDS, type ClickIdRule } from './click-ids.js';
export {
  createChannelStep,
  resolveChannelConfig,
  FBCLID_MODES,
  type CampaignContext,
  type ChannelConfig,
  type ChannelInfo,
  type ChannelInput,
  type ChannelOptions,
  type ChannelStep,
  type FbclidMode,
} from './channel.js';
export {
  createPageTypeStep,
  resolvePageTypeConfig,
  normalisePath,
  stripIds,
  ID_PLACEHOLDER,
  type PageTypeConfig,
  type PageTypeOptions,
  type PageTypeRule,
  type PageTypeStep,
} from './page-type.js';
export {
  createConversionStep,
  resolveConversionConfig,
  normaliseEventName,
  DEFAULT_CONVERSION_EVENTS,
  DEFAULT_CURRENCY,
  type ConversionConfig,
  type ConversionInfo,
  type ConversionOptions,
  type ConversionStep,
} from './conversion.js';
