/**
 * Helpers for the sessionizer tests: an event factory, a seeded PRNG, a generator of visitor
 * streams with bounded disorder, and a brute-force reference sessionizer that shares no code
 * with the real one. Not part of the module's API.
 */
import { MAX_SESSION_PATH, type ClickEvent, type SessionSummary } from '../core/index.js';
import type { CollectingSink } from './sink.js';

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

/** mulberry32: tiny seeded PRNG, plenty for shuffling test streams. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

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

export interface ReferenceOptions {
  readonly gapMs: number;
  readonly maxLengthMs: number;
  readonly splitOnCampaign: boolean;
}

export type ReferenceSession = Pick<
  SessionSummary,
  | 'site'
  | 'visitor'
  | 'startedAt'
  | 'endedAt'
  | 'eventCount'
  | 'pageviewCount'
  | 'path'
  | 'entryChannel'
  | 'entrySource'
  | 'entryMedium'
  | 'entryCampaign'
  | 'landingPage'
  | 'exitPage'
  | 'isBot'
  | 'conversions'
  | 'revenue'
>;

/**
 * The definition, by brute force: a key's events sorted by time (ties in arrival order), cut
 * where the gap is exceeded, where max length is reached, or at a new campaign touch strictly
 * later than the event before it.
 */
export function referenceSessions(
  events: readonly ClickEvent[],
  options: ReferenceOptions,
): ReferenceSession[] {
  const byKey = new Map<string, { event: ClickEvent; order: number }[]>();
  events.forEach((event, order) => {
    const key = `${event.site}|${event.visitor}`;
    const list = byKey.get(key) ?? [];
    list.push({ event, order });
    byKey.set(key, list);
  });
  const sessions: ReferenceSession[] = [];
  for (const list of byKey.values()) {
    list.sort((a, b) => a.event.timestamp - b.event.timestamp || a.order - b.order);
    let current: ClickEvent[] = [];
    const flush = (): void => {
      if (current.length > 0) sessions.push(summarise(current));
      current = [];
    };
    for (const { event } of list) {
      const first = current[0];
      const last = current[current.length - 1];
      if (
        first !== undefined &&
        last !== undefined &&
        (event.timestamp - last.timestamp > options.gapMs ||
          event.timestamp - first.timestamp >= options.maxLengthMs ||
          (options.splitOnCampaign &&
            event.timestamp > last.timestamp &&
            isTouch(event) &&
            raw(event) !== raw(first)))
      ) {
        flush();
      }
      current.push(event);
    }
    flush();
  }
  return sessions.sort(
    (a, b) =>
      a.site.localeCompare(b.site) ||
      a.visitor.localeCompare(b.visitor) ||
      a.startedAt - b.startedAt,
  );
}

function isTouch(event: ClickEvent): boolean {
  return !(
    event.campaign === '' &&
    (event.source === '' || event.source === '(direct)') &&
    (event.medium === '' || event.medium === '(none)')
  );
}

function raw(event: ClickEvent): string {
  return `${event.source}|${event.medium}|${event.campaign}`;
}

function summarise(events: readonly ClickEvent[]): ReferenceSession {
  const first = events[0];
  const last = events[events.length - 1];
  if (first === undefined || last === undefined) throw new RangeError('empty session');
  const pages = events.filter((e) => e.type === 'page' || e.type === 'screen');
  const converted = events.filter((e) => e.isConversion);
  return {
    site: first.site,
    visitor: first.visitor,
    startedAt: first.timestamp,
    endedAt: last.timestamp,
    eventCount: events.length,
    pageviewCount: pages.length,
    path: pages.slice(0, MAX_SESSION_PATH).map((e) => e.pageType),
    entryChannel: first.channel,
    entrySource: first.source,
    entryMedium: first.medium,
    entryCampaign: first.campaign,
    landingPage: pages[0]?.path ?? '',
    exitPage: pages[pages.length - 1]?.path ?? '',
    isBot: events.some((e) => e.isBot),
    conversions: converted.length,
    revenue: events.reduce((sum, e) => sum + e.revenue, 0),
  };
}

/** The sessions a run ended with: the last closed output of each id not merged away. */
export function finalSessions(sink: CollectingSink): SessionSummary[] {
  const last = new Map<string, SessionSummary | null>();
  for (const output of sink.sessions) {
    if (output.kind !== 'closed') continue;
    last.set(output.session.id, output.reason === 'merged' ? null : output.session);
  }
  const sessions = [...last.values()].filter((s): s is SessionSummary => s !== null);
  return sessions.sort(
    (a, b) =>
      a.site.localeCompare(b.site) ||
      a.visitor.localeCompare(b.visitor) ||
      a.startedAt - b.startedAt,
  );
}

/** The reference fields of a sessionizer summary, for comparing with `referenceSessions`. */
export function comparable(session: SessionSummary): ReferenceSession {
  return {
    site: session.site,
    visitor: session.visitor,
    startedAt: session.startedAt,
    endedAt: session.endedAt,
    eventCount: session.eventCount,
    pageviewCount: session.pageviewCount,
    path: session.path,
    entryChannel: session.entryChannel,
    entrySource: session.entrySource,
    entryMedium: session.entryMedium,
    entryCampaign: session.entryCampaign,
    landingPage: session.landingPage,
    exitPage: session.exitPage,
    isBot: session.isBot,
    conversions: session.conversions,
    revenue: session.revenue,
  };
}
