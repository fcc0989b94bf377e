import type { PageType } from './generative-model.js';
import type { Random } from './prng.js';

/**
 * Concrete URLs for each hidden page type, with the ids, numbers and uuids real sites put in
 * paths, so the page-type rules of enrichment have something to strip. Every page type maps to
 * exactly one pattern below, which the ground truth publishes beside each page state.
 */

export interface Site {
  readonly id: string;
  readonly index: number;
  readonly name: string;
  /** scheme://host of the site; `.example` is reserved, so no real host is ever named. */
  readonly origin: string;
  readonly writeKey: string;
  readonly currency: string;
}

export const PAGE_PATH_PATTERNS: Readonly<Record<PageType, string>> = {
  home: '/',
  category: '/category/:id',
  product: '/product/:id',
  search: '/search',
  cart: '/cart',
  checkout: '/checkout/:uuid',
  blog: '/blog/:slug',
  pricing: '/pricing',
  signup: '/signup',
  account: '/account',
  help: '/help/articles/:id',
};

/**
 * The page-type rules a site owner would configure for these URLs (enrichment's
 * `pageType.rules`: path globs, first match wins), naming each page by its hidden type, so a
 * model's page states carry the ground truth's names. Without them, enrichment's id stripping
 * still finds every type but the blog, whose 12 slugs are words and stay 12 page types.
 */
export function pageTypeRules(): { readonly pattern: string; readonly pageType: PageType }[] {
  return (Object.entries(PAGE_PATH_PATTERNS) as [PageType, string][]).map(([pageType, path]) => ({
    pattern: path.replace(/:[a-z]+/g, '*'),
    pageType,
  }));
}

const TITLES: Readonly<Record<PageType, string>> = {
  home: 'Home',
  category: 'Category',
  product: 'Product',
  search: 'Search',
  cart: 'Cart',
  checkout: 'Checkout',
  blog: 'Blog',
  pricing: 'Pricing',
  signup: 'Sign up',
  account: 'Your account',
  help: 'Help',
};

export const BLOG_SLUGS: readonly string[] = [
  'how-to-choose-running-shoes',
  'spring-style-guide',
  'ten-gifts-under-fifty',
  'behind-the-seams',
  'caring-for-leather',
  'how-we-source-cotton',
  'packing-light-for-a-weekend',
  'what-size-am-i',
  'the-history-of-denim',
  'sustainable-packaging-update',
  'meet-the-design-team',
  'winter-layering-101',
];

const SEARCH_TERMS: readonly string[] = [
  'shoes',
  'black dress',
  'rain jacket',
  'gift card',
  'socks',
  'linen shirt',
  'sale',
  'backpack',
  'running',
  'wool sweater',
  'kids',
  'sandals',
  'size guide',
  'returns',
  'café au lait mug',
];

export interface PageView {
  readonly type: PageType;
  readonly path: string;
  /** Query string with its `?`, or ''. */
  readonly search: string;
  readonly title: string;
  readonly name: string;
  /** Extra page properties (product_id, query, ...). */
  readonly properties: Readonly<Record<string, string | number>>;
}

/** Ids that stay fixed through one session (a checkout keeps its id across steps). */
export interface SessionIds {
  checkoutId: string | undefined;
  lastProductId: number | undefined;
}

function titled(base: string, site: Site, detail: string): string {
  return `${detail === '' ? base : `${base}: ${detail}`} | ${site.name}`;
}

export function pageView(type: PageType, site: Site, random: Random, ids: SessionIds): PageView {
  const base = TITLES[type];
  switch (type) {
    case 'category': {
      const id = 1 + random.int(40);
      return {
        type,
        path: `/category/${id}`,
        search: '',
        title: titled(base, site, `#${id}`),
        name: base,
        properties: { category_id: id },
      };
    }
    case 'product': {
      // A few hundred popular products and a long tail, as catalogues are.
      const id = random.chance(0.5) ? 10_000 + random.int(300) : 10_000 + random.int(89_999);
      ids.lastProductId = id;
      return {
        type,
        path: `/product/${id}`,
        search: '',
        title: titled(base, site, `#${id}`),
        name: base,
        properties: { product_id: id },
      };
    }
    case 'search': {
      const query = random.pick(SEARCH_TERMS);
      return {
        type,
        path: '/search',
        search: `?q=${encodeURIComponent(query)}`,
        title: titled(base, site, query),
        name: base,
        properties: { query },
      };
    }
    case 'checkout': {
      ids.checkoutId ??= random.uuid();
      return {
        type,
        path: `/checkout/${ids.checkoutId}`,
        search: '',
        title: titled(base, site, ''),
        name: base,
        properties: { checkout_id: ids.checkoutId },
      };
    }
    case 'blog': {
      const slug = random.pick(BLOG_SLUGS);
      return {
        type,
        path: `/blog/${slug}`,
        search: '',
        title: titled(base, site, slug.replace(/-/g, ' ')),
        name: base,
        properties: {},
      };
    }
    case 'help': {
      const id = 100 + random.int(300);
      return {
        type,
        path: `/help/articles/${id}`,
        search: '',
        title: titled(base, site, `article ${id}`),
        name: base,
        properties: {},
      };
    }
    default:
      return {
        type,
        path: PAGE_PATH_PATTERNS[type],
        search: '',
        title: titled(base, site, ''),
        name: base,
        properties: {},
      };
  }
}

/** Paths crawlers fetch besides ordinary pages. */
export const CRAWLER_PATHS: readonly string[] = [
  '/robots.txt',
  '/sitemap.xml',
  '/wp-login.php',
  '/.env',
  '/feed',
  '/sitemap-products-1.xml',
];
