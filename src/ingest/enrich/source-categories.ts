import { parse as parseDomain } from 'tldts';

/**
 * GA4 sorts traffic sources into search, social, video and shopping sites by "an internal list".
 * This is our version of that list: the names and hosts marketers put into utm_source and that
 * show up as referrers. A source may be a bare name (`google`, `fb`, `ig`) or a host
 * (`m.facebook.com`, `google.co.uk`, `t.co`).
 */
export const SOURCE_CATEGORIES = ['search', 'social', 'video', 'shopping'] as const;
export type SourceCategory = (typeof SOURCE_CATEGORIES)[number];

/** Names, matched exactly and as the registrable-domain label of a host (`google` in google.co.uk). */
const NAMES: Readonly<Record<SourceCategory, readonly string[]>> = {
  search: [
    'google',
    'bing',
    'yahoo',
    'baidu',
    'duckduckgo',
    'yandex',
    'ecosia',
    'naver',
    'ask',
    'aol',
    'msn',
    'seznam',
    'qwant',
    'startpage',
    'sogou',
    'daum',
    'coccoc',
    'rambler',
    'dogpile',
    'mojeek',
    'kagi',
    'yep',
    'petalsearch',
    'search-results',
    'webcrawler',
    'lycos',
    'excite',
    'onet',
  ],
  social: [
    'facebook',
    'fb',
    'instagram',
    'ig',
    'threads',
    'twitter',
    'linkedin',
    'pinterest',
    'reddit',
    'tiktok',
    'snapchat',
    'tumblr',
    'vk',
    'vkontakte',
    'odnoklassniki',
    'weibo',
    'wechat',
    'weixin',
    'whatsapp',
    'telegram',
    'messenger',
    'discord',
    'discordapp',
    'kakao',
    'kakaotalk',
    'line',
    'quora',
    'mastodon',
    'bsky',
    'bluesky',
    'meetup',
    'xing',
    'nextdoor',
    'flickr',
    'yelp',
    'lemon8',
  ],
  video: [
    'youtube',
    'vimeo',
    'twitch',
    'dailymotion',
    'wistia',
    'netflix',
    'hulu',
    'rumble',
    'bilibili',
    'iqiyi',
    'youku',
  ],
  shopping: [
    'amazon',
    'ebay',
    'etsy',
    'shopify',
    'walmart',
    'alibaba',
    'aliexpress',
    'mercadolibre',
    'rakuten',
    'igshopping',
    'target',
    'bestbuy',
    'zalando',
    'wayfair',
    'temu',
    'shein',
    'flipkart',
    'allegro',
    'idealo',
    'ozon',
    'wildberries',
    'coupang',
    'taobao',
    'tmall',
    'pinduoduo',
  ],
};

/** Hosts whose registrable-domain label alone would be ambiguous or wrong. */
const HOSTS: Readonly<Record<SourceCategory, readonly string[]>> = {
  search: ['search.brave.com', 'you.com', 'so.com', '360.cn', 'sm.cn', 'ya.ru'],
  social: [
    'x.com',
    't.co',
    'lnkd.in',
    'fb.me',
    'm.me',
    'pin.it',
    't.me',
    'ok.ru',
    'bsky.app',
    'medium.com',
    'news.ycombinator.com',
  ],
  video: ['youtu.be', 'ted.com', 'disneyplus.com'],
  shopping: ['shopping.google.com', 'shop.app', 'jd.com', 'checkout.shopify.com'],
};

/**
 * Subdomains under which a search brand still means "the search engine". Elsewhere a brand is
 * not a search site: docs.google.com or mail.yahoo.com send referrals, not organic search.
 */
const SEARCH_SUBDOMAINS = new Set(['', 'www', 'm', 'search', 'images', 'html', 'lite']);

const BY_NAME = indexOf(NAMES);
const BY_HOST = indexOf(HOSTS);

/** Longer than any real host name (253); longer sources are campaign garbage, not a site. */
const MAX_HOST_LENGTH = 253;

/**
 * The GA4 category of a traffic source (utm_source value or referrer host), or '' for none.
 * Case-insensitive.
 */
export function sourceCategory(source: string): SourceCategory | '' {
  const name = source.trim().toLowerCase();
  const byName = BY_NAME.get(name);
  if (byName !== undefined) return byName;
  if (!name.includes('.') || name.length > MAX_HOST_LENGTH) return '';

  const parsed = parseDomain(name, { allowPrivateDomains: true });
  const host = parsed.hostname;
  if (host === null || host === '') return '';
  const byHost = BY_HOST.get(host.startsWith('www.') ? host.slice(4) : host);
  if (byHost !== undefined) return byHost;
  const label = parsed.domainWithoutSuffix;
  if (label === null || label === '') return '';
  const byLabel = BY_NAME.get(label);
  if (byLabel === 'search' && !SEARCH_SUBDOMAINS.has(parsed.subdomain ?? '')) return '';
  return byLabel ?? '';
}

function indexOf(
  lists: Readonly<Record<SourceCategory, readonly string[]>>,
): Map<string, SourceCategory> {
  const index = new Map<string, SourceCategory>();
  for (const category of SOURCE_CATEGORIES) {
    for (const entry of lists[category]) index.set(entry, category);
  }
  return index;
}
