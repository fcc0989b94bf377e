import { LRUCache } from 'lru-cache';
import { getDomainWithoutSuffix } from 'tldts';
import { ConfigError } from '../../core/index.js';
import { type Channel, channelFor } from './channel-rules.js';
import { CLICK_IDS, type ClickIdRule } from './click-ids.js';
import type { ReferrerClass, ReferrerInfo } from './referrer.js';

/** Segment's `context.campaign`: the UTM tags a client library already read off the URL. */
export interface CampaignContext {
  readonly source?: string;
  readonly medium?: string;
  readonly name?: string;
  readonly term?: string;
  readonly content?: string;
}

export const FBCLID_MODES = ['organic', 'paid'] as const;
export type FbclidMode = (typeof FBCLID_MODES)[number];

export interface ChannelOptions {
  /**
   * What a bare fbclid (no UTM tags) means. Default `organic` (facebook / social -> Organic
   * Social): Meta adds fbclid to organic shares too. `paid` makes it facebook / cpc -> Paid Social.
   */
  readonly fbclid?: FbclidMode;
}

export interface ChannelConfig {
  readonly fbclid: FbclidMode;
}

export interface ChannelInput {
  /** The page URL's query string, with or without the leading `?`; '' when none. */
  readonly query: string;
  readonly campaign: CampaignContext | undefined;
  readonly referrer: ReferrerInfo;
}

export interface ChannelInfo {
  readonly channel: Channel;
  /** Lower case. `(direct)` for direct and internal traffic, `(not set)` when only the medium was tagged. */
  readonly source: string;
  /** Lower case. `(none)` for direct traffic, `(not set)` when only the source was tagged. */
  readonly medium: string;
  readonly campaign: string;
  readonly term: string;
  readonly content: string;
  /** The click id parameter present (`gclid`, `fbclid`, ...), '' when none. */
  readonly clickId: string;
}

export interface ChannelStep {
  attribute(input: ChannelInput): ChannelInfo;
}

const UTM_FIELD = new Map<string, keyof Tags>([
  ['utm_source', 'source'],
  ['utm_medium', 'medium'],
  ['utm_campaign', 'campaign'],
  ['utm_term', 'term'],
  ['utm_content', 'content'],
  ['utm_id', 'id'],
]);
const CLICK_ID_RANK = new Map(CLICK_IDS.map((rule, rank) => [rule.param.toLowerCase(), rank]));

interface Tags {
  source: string;
  medium: string;
  campaign: string;
  term: string;
  content: string;
  id: string;
}

interface FromReferrer {
  readonly channel: Channel;
  readonly medium: string;
}

/** How a referrer with no tags on the landing URL is attributed. */
const BY_REFERRER: Readonly<Record<Exclude<ReferrerClass, 'direct' | 'internal'>, FromReferrer>> = {
  search: { channel: 'Organic Search', medium: 'organic' },
  social: { channel: 'Organic Social', medium: 'referral' },
  video: { channel: 'Organic Video', medium: 'referral' },
  shopping: { channel: 'Organic Shopping', medium: 'referral' },
  email: { channel: 'Email', medium: 'email' },
  // GA4 files a click from an ad server without tags under Referral too.
  paid: { channel: 'Referral', medium: 'referral' },
  external: { channel: 'Referral', medium: 'referral' },
};

export function resolveChannelConfig(options: ChannelOptions = {}): ChannelConfig {
  const fbclid = options.fbclid ?? 'organic';
  if (!FBCLID_MODES.includes(fbclid)) {
    throw new ConfigError(
      'channel.fbclid',
      `must be one of ${FBCLID_MODES.join(', ')}, got ${String(fbclid)}`,
    );
  }
  return { fbclid };
}

/**
 * Source, medium, campaign and GA4 channel of a visit. Precedence, per field:
 * Segment's context.campaign, then the URL's utm_* parameters. When neither names a source or
 * medium, a click id stands in for them (gclid -> google / cpc, ...); without one, the referrer
 * decides (search engine -> engine / organic, other sites -> host / referral, none -> direct).
 *
 * NOTE: manual tags beat click ids — GA4's "manual tagging overrides auto-tagging" setting — so a
 * site's own utm_source / utm_medium are never silently replaced. The click id is still reported.
 */
export function createChannelStep(options: ChannelOptions = {}): ChannelStep {
  const config = resolveChannelConfig(options);
  return {
    attribute({ query, campaign, referrer }: ChannelInput): ChannelInfo {
      const tags: Tags = { source: '', medium: '', campaign: '', term: '', content: '', id: '' };
      const click = query.length > 1 ? readQuery(query, tags) : null;
      if (campaign !== undefined && campaign !== null) applyCampaign(campaign, tags);

      const source = tags.source.toLowerCase();
      const medium = tags.medium.toLowerCase();
      const name = tags.campaign !== '' ? tags.campaign : tags.id;
      const base = {
        campaign: name,
        term: tags.term,
        content: tags.content,
        clickId: click?.param ?? '',
      };

      if (source !== '' || medium !== '') {
        const s = source === '' ? '(not set)' : source;
        const m = medium === '' ? '(not set)' : medium;
        return {
          channel: channelFor({ source: s, medium: m, campaign: name }),
          source: s,
          medium: m,
          ...base,
        };
      }
      if (click !== null) {
        const m = click.param === 'fbclid' && config.fbclid === 'paid' ? 'cpc' : click.medium;
        return {
          channel: channelFor({ source: click.source, medium: m, campaign: name }),
          source: click.source,
          medium: m,
          ...base,
        };
      }
      const { referrerClass, referrerDomain } = referrer;
      if (referrerClass === 'direct' || referrerClass === 'internal') {
        return { channel: 'Direct', source: '(direct)', medium: '(none)', ...base };
      }
      const attributed = BY_REFERRER[referrerClass];
      return {
        channel: attributed.channel,
        source: referrerClass === 'search' ? engineName(referrerDomain) : referrerDomain,
        medium: attributed.medium,
        ...base,
      };
    },
  };
}

/** Reads utm_* into `tags` (first non-empty value wins) and returns the strongest click id. */
function readQuery(query: string, tags: Tags): ClickIdRule | null {
  let clickRank = Number.POSITIVE_INFINITY;
  for (const [rawKey, rawValue] of new URLSearchParams(query)) {
    const key = rawKey.toLowerCase();
    const field = UTM_FIELD.get(key);
    if (field !== undefined) {
      if (tags[field] === '') tags[field] = rawValue.trim();
      continue;
    }
    const rank = CLICK_ID_RANK.get(key);
    if (rank !== undefined && rank < clickRank && rawValue.trim() !== '') clickRank = rank;
  }
  return CLICK_IDS[clickRank] ?? null;
}

/** Segment's campaign object beats the URL, field by field; non-strings are ignored. */
function applyCampaign(campaign: CampaignContext, tags: Tags): void {
  overrideWith(campaign.source, tags, 'source');
  overrideWith(campaign.medium, tags, 'medium');
  overrideWith(campaign.name, tags, 'campaign');
  overrideWith(campaign.term, tags, 'term');
  overrideWith(campaign.content, tags, 'content');
}

function overrideWith(value: unknown, tags: Tags, field: keyof Tags): void {
  if (typeof value !== 'string') return;
  const trimmed = value.trim();
  if (trimmed !== '') tags[field] = trimmed;
}

// A public-suffix parse costs ~1.5 us and search referrers come from a few hundred hosts.
const engineNames = new LRUCache<string, string>({ max: 1_000 });

/** `google` for www.google.co.uk, `yahoo` for search.yahoo.com: the names GA4 reports. */
function engineName(domain: string): string {
  let name = engineNames.get(domain);
  if (name === undefined) {
    const label = getDomainWithoutSuffix(domain, { allowPrivateDomains: true });
    name = label === null || label === '' ? domain : label;
    engineNames.set(domain, name);
  }
  return name;
}
