import type { DeviceType, SessionClosed, SessionUpdate } from '../../core/index.js';
import { seededRandom, type Random } from '../random.js';
import { SessionBuilder } from './session-builder.js';

/**
 * A small synthetic shop with known conversion probabilities, for the learning test and the
 * scoring benchmark (the simulator in src/simulator is the full-size ground truth).
 *
 * A visitor lands on a page drawn by channel, then on each page: converts with probability
 * h(page, channel) (the page's base rate with the channel's odds multiplier), and after a
 * conversion goes on browsing with probability CONTINUE_AFTER_CONVERSION; without conversion,
 * leaves with probability exit(page), else moves by the transition matrix. Because this is a
 * Markov chain over (page, channel), the true probability that a conversion follows a prefix
 * is solved exactly:
 *   v(p) = h + (1 - h) (1 - exit(p)) S(p),  S(p) = sum_j T(p, j) v(j)     (on a pageview)
 *   CONTINUE_AFTER_CONVERSION * S(p)                                     (on a conversion)
 */
export const SHOP_PAGES = [
  '/home',
  '/category',
  '/product/:id',
  '/search',
  '/cart',
  '/checkout',
  '/blog',
  '/account',
] as const;

export const SHOP_CHANNELS = [
  'Direct',
  'Email',
  'Paid Search',
  'Organic Search',
  'Organic Social',
  'Referral',
] as const;

const BASE_RATE = [0.004, 0.01, 0.03, 0.012, 0.12, 0.4, 0.002, 0.02];
const EXIT = [0.35, 0.3, 0.3, 0.3, 0.25, 0.2, 0.55, 0.4];
const ODDS = [1, 2.5, 1.5, 1, 0.35, 0.8];
/** Landing page weights per channel (rows: channels). */
const LANDING = [
  [6, 1, 1, 0, 0, 0, 0, 2],
  [2, 2, 4, 0, 1, 0, 0, 1],
  [1, 3, 5, 1, 0, 0, 0, 0],
  [2, 2, 3, 0, 0, 0, 3, 0],
  [2, 1, 2, 0, 0, 0, 5, 0],
  [3, 1, 2, 0, 0, 0, 3, 1],
];
/** Transition weights (rows: from page). */
const TRANSITIONS = [
  [0, 5, 2, 3, 0, 0, 1, 1],
  [1, 1, 6, 2, 0, 0, 0, 0],
  [1, 2, 2, 1, 4, 0, 0, 0],
  [0, 2, 6, 1, 0, 0, 0, 0],
  [1, 0, 2, 0, 0, 5, 0, 1],
  [0, 0, 1, 0, 3, 0, 0, 1],
  [3, 1, 1, 0, 0, 0, 3, 0],
  [3, 1, 1, 0, 1, 0, 0, 0],
];
const CONTINUE_AFTER_CONVERSION = 0.25;
const MAX_EVENTS = 60;
const DEVICES: readonly DeviceType[] = ['desktop', 'mobile', 'tablet'];
const COUNTRIES = ['DE', 'FR', 'US', 'GB', 'NL'];

export interface SyntheticSession {
  readonly channel: string;
  readonly updates: readonly SessionUpdate[];
  /** True P(a conversion follows), per update. */
  readonly truth: readonly number[];
  readonly closed: SessionClosed;
}

export class SyntheticShop {
  private readonly random: Random;
  /** v[channel][page] and S[channel][page], see above. */
  private readonly v: Float64Array[];
  private readonly s: Float64Array[];
  private count = 0;
  private clock: number;

  constructor(seed: number, start = Date.UTC(2025, 0, 6)) {
    this.random = seededRandom(seed);
    this.clock = start;
    this.v = [];
    this.s = [];
    for (let c = 0; c < SHOP_CHANNELS.length; c++) {
      const v = new Float64Array(SHOP_PAGES.length);
      const s = new Float64Array(SHOP_PAGES.length);
      for (let iteration = 0; iteration < 500; iteration++) {
        for (let p = 0; p < SHOP_PAGES.length; p++) {
          s[p] = expectation(TRANSITIONS[p] as number[], v);
          const h = hazard(p, c);
          v[p] = h + (1 - h) * (1 - (EXIT[p] as number)) * (s[p] as number);
        }
      }
      this.v.push(v);
      this.s.push(s);
    }
  }

  next(): SyntheticSession {
    const r = this.random;
    const c = Math.floor(r() * SHOP_CHANNELS.length);
    const channel = SHOP_CHANNELS[c] as string;
    const id = `syn-${this.count++}`;
    this.clock += Math.floor(r() * 20_000);
    const builder = new SessionBuilder({
      id,
      visitor: `visitor-${Math.floor(r() * 1e9)}`,
      channel,
      campaign: r() < 0.3 ? `campaign-${Math.floor(r() * 5)}` : '',
      device: DEVICES[Math.floor(r() * DEVICES.length)] as DeviceType,
      country: COUNTRIES[Math.floor(r() * COUNTRIES.length)] as string,
    });
    const updates: SessionUpdate[] = [];
    const truth: number[] = [];
    let at = this.clock;
    let page = draw(LANDING[c] as number[], r);
    for (;;) {
      updates.push(builder.event({ at, page: SHOP_PAGES[page] as string }));
      truth.push(this.v[c]?.[page] as number);
      at += 5_000 + Math.floor(r() * 60_000);
      if (r() < hazard(page, c)) {
        updates.push(builder.event({ at, conversion: true, revenue: 20 + Math.floor(r() * 80) }));
        truth.push(CONTINUE_AFTER_CONVERSION * (this.s[c]?.[page] as number));
        at += 5_000;
        if (r() >= CONTINUE_AFTER_CONVERSION) break;
      } else if (r() < (EXIT[page] as number)) {
        break;
      }
      if (updates.length >= MAX_EVENTS) break;
      page = draw(TRANSITIONS[page] as number[], r);
    }
    return { channel, updates, truth, closed: builder.close('gap') };
  }
}

function hazard(page: number, channel: number): number {
  const h = BASE_RATE[page] as number;
  const m = ODDS[channel] as number;
  return (m * h) / (1 - h + m * h);
}

function expectation(weights: readonly number[], values: Float64Array): number {
  let total = 0;
  let sum = 0;
  weights.forEach((w, j) => {
    total += w;
    sum += w * (values[j] as number);
  });
  return sum / total;
}

function draw(weights: readonly number[], random: Random): number {
  let total = 0;
  for (const w of weights) total += w;
  let u = random() * total;
  for (let j = 0; j < weights.length; j++) {
    u -= weights[j] as number;
    if (u < 0) return j;
  }
  return weights.length - 1;
}
