import { sourceCategory } from './source-categories.js';

/** GA4's default channel groups, in the order its rules are tried; `Unassigned` when none fits. */
export const CHANNELS = [
  'Direct',
  'Cross-network',
  'Paid Shopping',
  'Paid Search',
  'Paid Social',
  'Paid Video',
  'Display',
  'Paid Other',
  'Organic Shopping',
  'Organic Social',
  'Organic Video',
  'Organic Search',
  'Referral',
  'Email',
  'Affiliates',
  'Audio',
  'SMS',
  'Mobile Push Notifications',
  'Unassigned',
] as const;
export type Channel = (typeof CHANNELS)[number];

export interface ChannelRuleInput {
  /** utm_source or equivalent, e.g. `google`, `m.facebook.com`, `(direct)`. */
  readonly source: string;
  /** utm_medium or equivalent, e.g. `cpc`, `organic`, `(none)`. */
  readonly medium: string;
  /** utm_campaign or equivalent; '' when none. */
  readonly campaign?: string;
}

const DISPLAY_MEDIUMS = new Set(['display', 'banner', 'expandable', 'interstitial', 'cpm']);
const SOCIAL_MEDIUMS = new Set([
  'social',
  'social-network',
  'social-media',
  'sm',
  'social network',
  'social media',
]);
const EMAIL_VALUES = new Set(['email', 'e-mail', 'e_mail', 'e mail']);
const REFERRAL_MEDIUMS = new Set(['referral', 'app', 'link']);
/** GA4: Campaign Name matches ^(.*(([^a-df-z]|^)shop|shopping).*)$ — the same test, unanchored. */
const SHOPPING_CAMPAIGN = /(?:^|[^a-df-z])shop|shopping/;

/**
 * GA4's default channel group for a source, medium and campaign (case-insensitive, as GA4's).
 *
 * The rules, in GA4's order (https://support.google.com/analytics/answer/9756891): Direct,
 * Cross-network, Paid Shopping/Search/Social/Video, Display, Paid Other, Organic
 * Shopping/Social/Video/Search, Referral, Email, Affiliates, Audio, SMS, Mobile Push
 * Notifications. "A list of X sites" is sourceCategory(). The rules that need Google Ads data
 * (ad network type, campaign type) are not applied: we never have it.
 */
export function channelFor(input: ChannelRuleInput): Channel {
  const source = input.source.trim().toLowerCase();
  const medium = input.medium.trim().toLowerCase();
  const campaign = (input.campaign ?? '').toLowerCase();

  if (source === '(direct)' && (medium === '(not set)' || medium === '(none)')) return 'Direct';
  if (campaign.includes('cross-network')) return 'Cross-network';

  const category = sourceCategory(source);
  const shopping = category === 'shopping' || SHOPPING_CAMPAIGN.test(campaign);
  const paid = isPaidMedium(medium);
  if (paid) {
    if (shopping) return 'Paid Shopping';
    if (category === 'search') return 'Paid Search';
    if (category === 'social') return 'Paid Social';
    if (category === 'video') return 'Paid Video';
  }
  if (DISPLAY_MEDIUMS.has(medium)) return 'Display';
  if (paid) return 'Paid Other';
  if (shopping) return 'Organic Shopping';
  if (category === 'social' || SOCIAL_MEDIUMS.has(medium)) return 'Organic Social';
  if (category === 'video' || medium.includes('video')) return 'Organic Video';
  if (category === 'search' || medium === 'organic') return 'Organic Search';
  if (REFERRAL_MEDIUMS.has(medium)) return 'Referral';
  if (EMAIL_VALUES.has(source) || EMAIL_VALUES.has(medium)) return 'Email';
  if (medium === 'affiliate') return 'Affiliates';
  if (medium === 'audio') return 'Audio';
  if (source === 'sms' || medium === 'sms') return 'SMS';
  if (
    medium.endsWith('push') ||
    medium.includes('mobile') ||
    medium.includes('notification') ||
    source === 'firebase'
  ) {
    return 'Mobile Push Notifications';
  }
  return 'Unassigned';
}

/** GA4: Medium matches ^(.*cp.*|ppc|retargeting|paid.*)$ — as string tests, no backtracking. */
export function isPaidMedium(medium: string): boolean {
  return (
    medium.includes('cp') ||
    medium === 'ppc' ||
    medium === 'retargeting' ||
    medium.startsWith('paid')
  );
}
