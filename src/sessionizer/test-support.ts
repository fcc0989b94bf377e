/**
 * Helpers for the sessionizer tests: an event factory, a seeded PRNG and a generator of visitor
 * streams with bounded disorder (the brute-force reference is in test-reference.ts). Not part of
 * the module's API.
 */
import type { ClickEvent, SessionClosed, SessionOutput, SessionUpdate } from '../core/index.js';
import { mulberry32 } from '../core/index.js';
import type { SessionizerOptions } from './options.js';
import { PartitionSessionizer } from './partition-sessionizer.js';
import { CollectingSink } from './sink.js';

let nextId = 0;

/** A valid, enriched event with quiet defaults: a direct desktop page view of /home. */
export function clickEvent(
  fields: Partial<ClickEvent> & { readonly timestamp: number },
): ClickEvent {
  nextId += 1;
  const visitor = fields.visitor ?? 'v1';
  return {
    id: `e${nextId}`,
    site: 's1',
    type: 'page',
    name: '',
    visitor,
    anonymousId: visitor,
    userId: null,
    previousId: null,
    groupId: null,
    receivedAt: fields.timestamp,
    sentAt: null,
    clockSkewMs: 0,
    futureClamped: false,
    url: 'https://shop.example/',
    path: '/',
    referrer: '',
    title: '',
    pageType: 'home',
    browser: 'Firefox',
    os: 'Linux',
    deviceType: 'desktop',
    isBot: false,
    ipPrefix: '',
    country: 'DE',
    channel: 'Direct',
    source: '(direct)',
    medium: '(none)',
    campaign: '',
    term: '',
    content: '',
    clickId: '',
    referrerClass: 'direct',
    referrerDomain: '',
    isConversion: false,
    revenue: 0,
    currency: 'USD',
    properties: '{}',
    processorVersion: 'test',
    ...fields,
  };
}

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
/** A fixed, realistic epoch for tests (2025-01-01T00:00:00Z). */
export const T0 = Date.UTC(2025, 0, 1);

/** A seeded generator, plenty for shuffling test streams. */
export const prng: (seed: number) => () => number = mulberry32;

export function pick<T>(random: () => number, items: readonly T[]): T {
  const item = items[Math.floor(random() * items.length)];
  if (item === undefined) throw new RangeError('pick from an empty list');
  return item;
}

export interface StreamOptions {
  readonly visitors: number;
  readonly visitsPerVisitor: number;
  /** Event spacing inside a visit, ms: [min, max]. */
  readonly spacing: readonly [number, number];
  /** Arrival delay, ms: [0, maxDelay], plus `lateShare` of events delayed by lateDelay. */
  readonly maxDelay: number;
  readonly lateShare?: number;
  readonly lateDelay?: readonly [number, number];
  /** Share of events sent twice (the copy arrives later, within maxDelay). */
  readonly duplicateShare?: number;
  /** Share of events that bring a campaign touch (google / cpc / one of three campaigns). */
  readonly campaignShare?: number;
  /** Add visits of continuous activity longer than this (ms) to exercise max length. */
  readonly longVisitMs?: number;
  readonly gapMs: number;
}

export interface Arrival {
  readonly event: ClickEvent;
  /** Processing time at which it arrives. */
  readonly at: number;
}

const PAGE_TYPES = ['home', 'category', 'product', 'cart', 'checkout', 'blog'] as const;

/** Visitor streams with gaps at, around and well beyond the gap, delivered with disorder. */
export function generateStream(seed: number, options: StreamOptions): Arrival[] {
  const random = prng(seed);
  const arrivals: { event: ClickEvent; at: number; seq: number }[] = [];
  let seq = 0;
  const push = (event: ClickEvent, delay: number): void => {
    arrivals.push({ event, at: event.timestamp + delay, seq: seq++ });
  };
  const delayOf = (): number => {
    if (options.lateShare !== undefined && random() < options.lateShare) {
      const [lo, hi] = options.lateDelay ?? [0, 0];
      return lo + Math.floor(random() * (hi - lo));
    }
    return Math.floor(random() * (options.maxDelay + 1));
  };
  for (let v = 0; v < options.visitors; v++) {
    const visitor = `visitor-${seed}-${v}`;
    let t = T0 + Math.floor(random() * HOUR);
    for (let visit = 0; visit < options.visitsPerVisitor; visit++) {
      const long = options.longVisitMs !== undefined && random() < 0.15;
      const visitEnd = long ? t + (options.longVisitMs ?? 0) : Number.POSITIVE_INFINITY;
      const events = long ? Number.POSITIVE_INFINITY : 1 + Math.floor(random() * 8);
      for (let i = 0; i < events && t < visitEnd; i++) {
        const campaign = options.campaignShare !== undefined && random() < options.campaignShare;
        const type = random() < 0.7 ? 'page' : 'track';
        const converted = type === 'track' && random() < 0.2;
        const event = clickEvent({
          timestamp: t,
          site: v % 3 === 0 ? 's2' : 's1',
          visitor,
          type,
          pageType: pick(random, PAGE_TYPES),
          path: `/p/${Math.floor(random() * 20)}`,
          isConversion: converted,
          revenue: converted ? 1 + Math.floor(random() * 200) : 0,
          isBot: v % 17 === 5,
          ...(campaign
            ? {
                channel: 'Paid Search',
                source: 'google',
                medium: 'cpc',
                campaign: pick(random, ['spring', 'summer', 'brand']),
              }
            : {}),
        });
        const delay = delayOf();
        push({ ...event, receivedAt: event.timestamp + delay }, delay);
        if (options.duplicateShare !== undefined && random() < options.duplicateShare) {
          const again = Math.floor(random() * (options.maxDelay + 1));
          push({ ...event, receivedAt: event.timestamp + again }, again);
        }
        const [lo, hi] = options.spacing;
        // Sometimes exactly at the gap (still one session) or 1 ms over it (a new one).
        const roll = random();
        t += roll < 0.03 ? 0 : roll < 0.05 ? options.gapMs : lo + Math.floor(random() * (hi - lo));
      }
      const pause = random();
      t +=
        pause < 0.1
          ? options.gapMs + 1
          : pause < 0.2
            ? options.gapMs + Math.floor(random() * 10 * MINUTE)
            : options.gapMs + Math.floor(random() * 6 * HOUR);
    }
  }
  arrivals.sort((a, b) => a.at - b.at || a.seq - b.seq);
  return arrivals.map(({ event, at }) => ({ event, at }));
}

/** A sessionizer with a collecting sink and shorthands to feed and read it. */
export function setup(options: SessionizerOptions = {}) {
  const sink = new CollectingSink();
  const sessionizer = new PartitionSessionizer(options, { sink });
  /** Processes an event that arrives `delay` ms after its event time. */
  const send = (fields: Parameters<typeof clickEvent>[0], delay = 0) => {
    const event = clickEvent({ receivedAt: fields.timestamp + delay, ...fields });
    return sessionizer.process(event, event.timestamp + delay);
  };
  const closed = (): SessionClosed[] =>
    sink.sessions.filter((o): o is SessionClosed => o.kind === 'closed');
  const updates = (): SessionUpdate[] =>
    sink.sessions.filter((o): o is SessionUpdate => o.kind === 'update');
  const last = (): SessionOutput | undefined => sink.sessions[sink.sessions.length - 1];
  return { sink, sessionizer, send, closed, updates, last };
}

/** Moves the watermark to `t` with another visitor's event (watermark = its time - 2 min). */
export function pushWatermark(send: ReturnType<typeof setup>['send'], t: number): void {
  send({ timestamp: t + 2 * MINUTE, visitor: 'clock' });
}
