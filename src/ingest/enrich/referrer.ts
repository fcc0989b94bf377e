import { LRUCache } from 'lru-cache';
import { getDomain } from 'tldts';
import { type KnownReferrer, knownReferrers } from './known-referrers.js';
import { type SourceCategory, sourceCategory } from './source-categories.js';

/**
 * Where a visit came from, judged by its referrer alone:
 * - `direct`: no referrer, or one with no host (`about:blank`, `file:`, garbage);
 * - `internal`: the same registrable domain as the page (shop.example.com -> www.example.com);
 * - `search`, `social`, `video`, `shopping`: a known site of that kind;
 * - `email`: a webmail client; `paid`: an ad server;
 * - `external`: any other site.
 */
export const REFERRER_CLASSES = [
  'direct',
  'internal',
  'search',
  'social',
  'video',
  'shopping',
  'email',
  'paid',
  'external',
] as const;
export type ReferrerClass = (typeof REFERRER_CLASSES)[number];

export interface ReferrerInfo {
  readonly referrerClass: ReferrerClass;
  /** Referrer host, lower case, without `www.`; '' for direct. */
  readonly referrerDomain: string;
}

const DIRECT: ReferrerInfo = Object.freeze({ referrerClass: 'direct', referrerDomain: '' });
const SLASH = 0x2f;
const QUESTION_MARK = 0x3f;
const HASH = 0x23;

interface HostFacts {
  /** Registrable domain (private suffixes such as github.io count as suffixes), or null. */
  readonly domain: string | null;
  readonly category: SourceCategory | '';
}

// Host facts cost two public-suffix parses (~1.5 us each); referrer hosts repeat a lot. Bounded,
// because hostile referrers can name any number of hosts.
const hostFacts = new LRUCache<string, HostFacts>({ max: 10_000 });

/** Classifies a referrer URL against the URL of the page it led to. */
export function classifyReferrer(referrer: string, pageUrl: string): ReferrerInfo {
  return classifyReferrerForHost(referrer, hostOf(pageUrl));
}

/**
 * Same as classifyReferrer, for a caller that already parsed the page URL (`pageHostname` as
 * `URL.hostname` gives it; '' when unknown, then nothing is internal).
 */
export function classifyReferrerForHost(referrer: string, pageHostname: string): ReferrerInfo {
  if (referrer === '') return DIRECT;
  if (isOnHost(referrer, pageHostname)) {
    return { referrerClass: 'internal', referrerDomain: withoutWww(trimDot(pageHostname)) };
  }
  const url = parseUrl(referrer);
  if (url === null) return DIRECT;
  const host = trimDot(url.hostname);
  if (host === '') return DIRECT;
  const referrerDomain = withoutWww(host);

  const facts = factsOf(host);
  const pageHost = trimDot(pageHostname);
  if (
    host === pageHost ||
    (pageHost !== '' && facts.domain !== null && facts.domain === factsOf(pageHost).domain)
  ) {
    return { referrerClass: 'internal', referrerDomain };
  }
  const known = findKnown(host, url.pathname, facts.domain);
  return { referrerClass: classOf(known, facts.category), referrerDomain };
}

function classOf(known: KnownReferrer | null, category: SourceCategory | ''): ReferrerClass {
  if (known === null) return category === '' ? 'external' : category;
  switch (known.medium) {
    case 'email':
      return 'email';
    case 'paid':
      return 'paid';
    default:
      break;
  }
  // GA4 has video and shopping categories the referrer list lacks (it files YouTube as social
  // and Amazon as search); ours win for those two.
  if (category === 'video' || category === 'shopping') return category;
  if (known.medium === 'search' || known.medium === 'social') return known.medium;
  // `referral` (Wikipedia, Substack) and `unknown` (support.google.com, maps.yandex.ru).
  return 'external';
}

/**
 * The referrer list keys exact hosts (`l.facebook.com`, but not `www.youtube.com`), so when the
 * host misses, its parent hosts are tried up to the registrable domain. A parent's `search` entry
 * is not inherited: docs.google.com is not a search engine although google.com is (the curated
 * categories still know www.duckduckgo.com).
 */
function findKnown(host: string, path: string, domain: string | null): KnownReferrer | null {
  const list = knownReferrers();
  const exact = list.find(host + path);
  if (exact !== null) return exact;
  let candidate = host;
  while (domain !== null && candidate !== domain && candidate.endsWith(`.${domain}`)) {
    candidate = candidate.slice(candidate.indexOf('.') + 1);
    const hit = list.find(candidate + path);
    if (hit !== null) return hit.medium === 'search' ? null : hit;
  }
  return null;
}

function factsOf(host: string): HostFacts {
  let facts = hostFacts.get(host);
  if (facts === undefined) {
    facts = {
      domain: getDomain(host, { allowPrivateDomains: true, validateHostname: false }),
      category: sourceCategory(host),
    };
    hostFacts.set(host, facts);
  }
  return facts;
}

/**
 * Internal navigation is most of the traffic: `http(s)://<page host>` followed by `/`, `?`, `#`
 * or nothing is recognised without parsing the URL. Anything else (ports, user info such as
 * `https://page.host:x@evil.example`, other casing) takes the full parse.
 */
function isOnHost(referrer: string, host: string): boolean {
  if (host === '') return false;
  const hostStart = referrer.startsWith('https://') ? 8 : referrer.startsWith('http://') ? 7 : -1;
  if (hostStart === -1 || !referrer.startsWith(host, hostStart)) return false;
  const next = referrer.charCodeAt(hostStart + host.length);
  return Number.isNaN(next) || next === SLASH || next === QUESTION_MARK || next === HASH;
}

function withoutWww(host: string): string {
  return host.startsWith('www.') ? host.slice(4) : host;
}

function hostOf(url: string): string {
  return parseUrl(url)?.hostname ?? '';
}

function parseUrl(text: string): URL | null {
  try {
    return new URL(text);
  } catch {
    // Not a URL: the caller treats it as no referrer at all.
    return null;
  }
}

function trimDot(host: string): string {
  return host.endsWith('.') ? host.slice(0, -1) : host;
}
