/**
 * The hidden generative model of simulated traffic: every number here is ground truth, so it is
 * data in one place, and ground-truth.ts derives its exact figures from exactly these tables.
 *
 * A visitor has a hidden type (CRM segment + churned flag, or "prospect" when the CRM does not
 * know them). Each session enters through a channel; the session's pages follow a Markov chain
 * over page types ending in `convert` or `exit`. The session's odds multiplier
 * m = channel multiplier x visitor-type multiplier tilts every row of the page chain:
 *
 *   weight(convert) = m * P(convert),  weight(exit) = P(exit) / sqrt(m),  weight(page) = P(page)
 *
 * renormalised. So m > 1 means more conversions and fewer exits at every step; m = 1 is the
 * base chain. A session that does not convert is followed, with the visitor type's return
 * probability, by another session whose channel is drawn from the return matrix; a conversion
 * ends the visitor's journey.
 */

export const PAGE_TYPES = [
  'home',
  'category',
  'product',
  'search',
  'cart',
  'checkout',
  'blog',
  'pricing',
  'signup',
  'account',
  'help',
] as const;
export type PageType = (typeof PAGE_TYPES)[number];

/** Absorbing states of the page chain, in column order after the page types. */
export const PAGE_OUTCOMES = ['convert', 'exit'] as const;
export type PageOutcome = (typeof PAGE_OUTCOMES)[number];

type PageRow = Partial<Record<PageType | 'convert', number>>;

/** Base transitions (m = 1). Whatever a row leaves unassigned is the probability of `exit`. */
export const BASE_TRANSITIONS: Readonly<Record<PageType, PageRow>> = {
  home: {
    category: 0.28,
    product: 0.12,
    search: 0.12,
    cart: 0.02,
    blog: 0.06,
    pricing: 0.06,
    signup: 0.03,
    account: 0.04,
    help: 0.02,
  },
  category: {
    home: 0.05,
    category: 0.1,
    product: 0.45,
    search: 0.06,
    cart: 0.02,
    blog: 0.01,
    pricing: 0.01,
    help: 0.01,
  },
  product: {
    home: 0.04,
    category: 0.12,
    product: 0.22,
    search: 0.05,
    cart: 0.16,
    blog: 0.01,
    pricing: 0.01,
    signup: 0.01,
    help: 0.01,
  },
  search: { home: 0.03, category: 0.08, product: 0.5, search: 0.1, cart: 0.01, help: 0.02 },
  cart: { home: 0.02, category: 0.05, product: 0.15, search: 0.02, checkout: 0.45, help: 0.02 },
  checkout: { product: 0.02, cart: 0.1, checkout: 0.05, help: 0.02, convert: 0.55 },
  blog: { home: 0.1, category: 0.04, product: 0.06, blog: 0.2, pricing: 0.06, signup: 0.04 },
  pricing: { home: 0.08, product: 0.1, blog: 0.04, signup: 0.25, help: 0.05 },
  signup: { home: 0.03, pricing: 0.05, help: 0.02, convert: 0.5 },
  account: { home: 0.1, category: 0.1, product: 0.15, search: 0.05, cart: 0.05, help: 0.05 },
  help: { home: 0.1, product: 0.08, search: 0.05, account: 0.05, pricing: 0.05, cart: 0.03 },
};

/** Exponent of the tilt on exit: exit weight is divided by m^EXIT_TILT. */
export const EXIT_TILT = 0.5;

/** Which conversion event a page type's `convert` transition sends. */
export const CONVERSION_EVENT: Readonly<Partial<Record<PageType, string>>> = {
  checkout: 'Order Completed',
  signup: 'Signed Up',
};

/** GA4 default channel groups the simulator sends traffic through. */
export const CHANNELS = [
  'Organic Search',
  'Paid Search',
  'Direct',
  'Paid Social',
  'Organic Social',
  'Email',
  'Referral',
  'Display',
  'Affiliates',
] as const;
export type Channel = (typeof CHANNELS)[number];

export interface ChannelModel {
  /** Share of first sessions (a visitor's first touch). */
  readonly firstTouch: number;
  /** Share of the return mix (see RETURN_SAME_CHANNEL). */
  readonly returnMix: number;
  /** Multiplies the session's conversion odds (see the tilt above). */
  readonly multiplier: number;
  /** Landing page type distribution. */
  readonly landing: Partial<Record<PageType, number>>;
}

export const CHANNEL_MODEL: Readonly<Record<Channel, ChannelModel>> = {
  'Organic Search': {
    firstTouch: 0.285,
    returnMix: 0.2,
    multiplier: 1.0,
    landing: { home: 0.2, category: 0.25, product: 0.3, blog: 0.2, help: 0.05 },
  },
  'Paid Search': {
    firstTouch: 0.15,
    returnMix: 0.08,
    multiplier: 1.4,
    landing: { product: 0.5, category: 0.3, home: 0.1, pricing: 0.1 },
  },
  Direct: {
    firstTouch: 0.14,
    returnMix: 0.36,
    multiplier: 1.25,
    landing: { home: 0.7, product: 0.1, account: 0.1, cart: 0.05, pricing: 0.05 },
  },
  'Paid Social': {
    firstTouch: 0.11,
    returnMix: 0.05,
    multiplier: 0.7,
    landing: { product: 0.5, category: 0.2, home: 0.1, blog: 0.2 },
  },
  'Organic Social': {
    firstTouch: 0.08,
    returnMix: 0.05,
    multiplier: 0.55,
    landing: { blog: 0.6, home: 0.2, product: 0.2 },
  },
  Email: {
    firstTouch: 0.05,
    returnMix: 0.15,
    multiplier: 1.9,
    landing: { product: 0.4, category: 0.2, home: 0.2, account: 0.1, cart: 0.1 },
  },
  Referral: {
    firstTouch: 0.09,
    returnMix: 0.04,
    multiplier: 1.1,
    landing: { home: 0.3, blog: 0.3, product: 0.2, pricing: 0.2 },
  },
  Display: {
    firstTouch: 0.05,
    returnMix: 0.04,
    multiplier: 0.45,
    landing: { home: 0.3, product: 0.4, category: 0.3 },
  },
  Affiliates: {
    firstTouch: 0.045,
    returnMix: 0.03,
    multiplier: 1.3,
    landing: { product: 0.6, pricing: 0.2, home: 0.2 },
  },
};

/**
 * A returning session comes through the previous session's channel with this probability, else
 * through a channel drawn from the `returnMix` shares.
 */
export const RETURN_SAME_CHANNEL = 0.35;

export const CRM_SEGMENTS = ['new', 'regular', 'vip'] as const;
export type CrmSegment = (typeof CRM_SEGMENTS)[number];

export interface VisitorType {
  readonly id: string;
  /** CRM segment, or null for a prospect the CRM does not know. */
  readonly segment: CrmSegment | null;
  readonly churned: boolean;
  /** Share of (human) visitors. */
  readonly share: number;
  /** Multiplies the conversion odds of every session (see the tilt above). */
  readonly multiplier: number;
  /** Probability that a session which did not convert is followed by another. */
  readonly returnProbability: number;
  /** Order value: log-normal with this median and shape. */
  readonly revenueMedian: number;
  readonly revenueSigma: number;
}

/** Documented multipliers: segment new 1.5, regular 2.2, vip 4.0; churned x 0.35. */
export const SEGMENT_MULTIPLIER: Readonly<Record<CrmSegment, number>> = {
  new: 1.5,
  regular: 2.2,
  vip: 4,
};
export const CHURNED_MULTIPLIER = 0.35;

function customer(
  segment: CrmSegment,
  churned: boolean,
  share: number,
  returnProbability: number,
  revenueMedian: number,
): VisitorType {
  return {
    id: churned ? `${segment}-churned` : segment,
    segment,
    churned,
    share,
    multiplier: SEGMENT_MULTIPLIER[segment] * (churned ? CHURNED_MULTIPLIER : 1),
    returnProbability: churned ? 0.25 : returnProbability,
    revenueMedian: churned ? revenueMedian * 0.85 : revenueMedian,
    revenueSigma: 0.6,
  };
}

export const VISITOR_TYPES: readonly VisitorType[] = [
  {
    id: 'prospect',
    segment: null,
    churned: false,
    share: 0.74,
    multiplier: 1,
    returnProbability: 0.3,
    revenueMedian: 55,
    revenueSigma: 0.6,
  },
  customer('new', false, 0.085, 0.45, 60),
  customer('new', true, 0.02, 0.45, 60),
  customer('regular', false, 0.095, 0.55, 75),
  customer('regular', true, 0.02, 0.55, 75),
  customer('vip', false, 0.035, 0.65, 160),
  customer('vip', true, 0.005, 0.65, 160),
];

/** Median seconds spent on a page type before the next page (log-normal, shape 0.8). */
export const DWELL_MEDIAN_S: Readonly<Record<PageType, number>> = {
  home: 20,
  category: 35,
  product: 55,
  search: 25,
  cart: 40,
  checkout: 90,
  blog: 120,
  pricing: 60,
  signup: 70,
  account: 45,
  help: 80,
};
export const DWELL_SIGMA = 0.8;
/** No dwell is longer than this, so a session never spans a 30-minute inactivity gap. */
export const MAX_DWELL_MS = 20 * 60_000;

/** Gap before a returning session: at least this, plus an exponential with the mean below. */
export const RETURN_GAP_MIN_MS = 45 * 60_000;
export const RETURN_GAP_MEAN_MS = 30 * 3_600_000;

/** Probability that a known customer logs in (identify) in a session where they have not yet. */
export const LOGIN_PROBABILITY = 0.6;
/** Probability that an anonymous buyer creates an account (identify) when ordering. */
export const CHECKOUT_IDENTIFY_PROBABILITY = 0.6;
/** Probability that a sign-up also sends `alias` (previousId = anonymousId). */
export const ALIAS_PROBABILITY = 0.25;
/** Safety stop for a session's page walk; the chain reaches it with negligible probability. */
export const MAX_PAGES_PER_SESSION = 500;
