import type { Channel } from './generative-model.js';
import type { Random } from './prng.js';

/**
 * How a session's entry looks on the wire for each channel: the landing URL's UTM parameters
 * and click ids, the referrer, and Segment's `context.campaign`. Each combination is chosen to
 * fall unambiguously into its GA4 default channel group, so the channel enrichment derives must
 * equal the hidden channel the truth is about.
 */

export interface Campaign {
  readonly name: string;
  readonly source: string;
  readonly medium: string;
  readonly term?: string;
  readonly content?: string;
}

export interface Touch {
  /** `key=value&...` to append to the landing URL, or ''. */
  readonly query: string;
  /** Referrer of the landing page; '' for none. */
  readonly referrer: string;
  readonly campaign: Campaign | undefined;
}

const SEARCH_REFERRERS: readonly string[] = [
  'https://www.google.com/',
  'https://www.google.com/',
  'https://www.google.co.uk/',
  'https://www.bing.com/',
  'https://duckduckgo.com/',
];
const SOCIAL_REFERRERS: readonly string[] = [
  'https://t.co/',
  'https://www.reddit.com/',
  'https://l.facebook.com/',
  'https://www.linkedin.com/',
  'https://www.pinterest.com/',
];
const REFERRAL_REFERRERS: readonly string[] = [
  'https://www.theverge.com/',
  'https://www.nytimes.com/',
  'https://www.wired.com/',
  'https://techcrunch.com/',
  'https://forum.shoe-lovers.example/',
];
const CAMPAIGNS: readonly string[] = [
  'spring_sale',
  'brand',
  'new_arrivals',
  'retargeting',
  'black_friday',
  'summer_clearance',
];
const TERMS: readonly string[] = [
  'running shoes',
  'buy linen shirt',
  'wool sweater sale',
  'best backpack',
];

function encode(params: Readonly<Record<string, string>>): string {
  return Object.entries(params)
    .map(([k, v]) => `${k}=${encodeURIComponent(v)}`)
    .join('&');
}

function utm(campaign: Campaign, extra: Readonly<Record<string, string>> = {}): string {
  return encode({
    utm_source: campaign.source,
    utm_medium: campaign.medium,
    utm_campaign: campaign.name,
    ...(campaign.term === undefined ? {} : { utm_term: campaign.term }),
    ...(campaign.content === undefined ? {} : { utm_content: campaign.content }),
    ...extra,
  });
}

export function channelTouch(channel: Channel, random: Random): Touch {
  switch (channel) {
    case 'Organic Search':
      return { query: '', referrer: random.pick(SEARCH_REFERRERS), campaign: undefined };
    case 'Paid Search': {
      const bing = random.chance(0.2);
      const campaign: Campaign = {
        name: random.pick(CAMPAIGNS),
        source: bing ? 'bing' : 'google',
        medium: 'cpc',
        term: random.pick(TERMS),
      };
      const clickId: Record<string, string> = bing
        ? { msclkid: random.hex(32) }
        : { gclid: `Cj0KCQ${random.hex(40)}` };
      return {
        query: utm(campaign, clickId),
        referrer: bing ? 'https://www.bing.com/' : 'https://www.google.com/',
        campaign,
      };
    }
    case 'Direct':
      return { query: '', referrer: '', campaign: undefined };
    case 'Paid Social': {
      const source = random.pick(['facebook', 'instagram', 'linkedin', 'tiktok']);
      const campaign: Campaign = {
        name: random.pick(CAMPAIGNS),
        source,
        medium: 'paid_social',
        content: `ad_${1 + random.int(12)}`,
      };
      const clickId: Record<string, string> =
        source === 'facebook' || source === 'instagram'
          ? { fbclid: `IwAR${random.hex(40)}` }
          : source === 'tiktok'
            ? { ttclid: random.hex(32) }
            : { li_fat_id: random.uuid() };
      const referrer =
        source === 'facebook'
          ? 'https://m.facebook.com/'
          : source === 'instagram'
            ? 'https://l.instagram.com/'
            : source === 'linkedin'
              ? 'https://www.linkedin.com/'
              : 'https://www.tiktok.com/';
      return { query: utm(campaign, clickId), referrer, campaign };
    }
    case 'Organic Social':
      return { query: '', referrer: random.pick(SOCIAL_REFERRERS), campaign: undefined };
    case 'Email': {
      const campaign: Campaign = {
        name: `newsletter_${1 + random.int(52)}`,
        source: 'newsletter',
        medium: 'email',
        content: random.pick(['hero', 'footer', 'product_grid']),
      };
      return { query: utm(campaign), referrer: '', campaign };
    }
    case 'Referral':
      return { query: '', referrer: random.pick(REFERRAL_REFERRERS), campaign: undefined };
    case 'Display': {
      const dv360 = random.chance(0.4);
      const campaign: Campaign = {
        name: random.pick(CAMPAIGNS),
        source: dv360 ? 'dv360' : 'criteo',
        medium: 'display',
        content: `${random.pick(['300x250', '728x90', '160x600'])}`,
      };
      return {
        query: utm(campaign, dv360 ? { dclid: `CL${random.hex(24)}` } : {}),
        referrer: dv360
          ? 'https://googleads.g.doubleclick.net/'
          : 'https://news.publisher.example/',
        campaign,
      };
    }
    case 'Affiliates': {
      const partner = random.pick(['dealfinder', 'cashbackhub', 'couponclub']);
      const campaign: Campaign = {
        name: 'affiliate_program',
        source: partner,
        medium: 'affiliate',
      };
      return {
        query: utm(campaign, { aff_id: String(1000 + random.int(9000)) }),
        referrer: `https://www.${partner}.example/`,
        campaign,
      };
    }
  }
}
