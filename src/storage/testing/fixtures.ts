/**
 * Test support, not part of the module's API: a small deterministic history (events, session
 * outputs with updates, replays and a merge, scores, failures, profiles) and its final truth, so
 * integration tests can compute every query's expected answer themselves.
 */
import { mulberry32 } from '../../core/index.js';
import type {
  ClickEvent,
  DeviceType,
  Profile,
  SessionOutput,
  SessionSummary,
} from '../../core/index.js';
import type { FailedEvent, FailureReason, FailureStage } from '../../ingest/index.js';
import type { IdentityLink } from '../rows/identity-row.js';
import type { ScoreRecord } from '../rows/score-row.js';

/** 22:00 UTC on Jan 30th: three days of data cross a month (= partition) boundary. */
export const BASE = Date.UTC(2024, 0, 30, 22, 0, 0);
export const MINUTE = 60_000;

export const SITES = ['shop.example', "o'reilly\\site"] as const;
export const CHANNELS = ['Organic Search', 'Paid Search', 'Email', "Direct'; --", 'Referral'];
export const PAGE_TYPES = ['/', '/product/:id', '/cart', '/checkout', "/it's \\ weird"];
export const COUNTRIES = ['DE', 'FR', 'US', ''];
export const DEVICES: readonly DeviceType[] = ['desktop', 'mobile', 'tablet'];

const prng = mulberry32;

export function makeEvent(fields: Partial<ClickEvent> & Pick<ClickEvent, 'id'>): ClickEvent {
  return {
    site: SITES[0],
    type: 'page',
    name: '',
    visitor: 'v',
    anonymousId: 'v',
    userId: null,
    previousId: null,
    groupId: null,
    timestamp: BASE,
    receivedAt: BASE + 50,
    sentAt: BASE + 10,
    clockSkewMs: 40,
    futureClamped: false,
    url: 'https://shop.example/',
    path: '/',
    referrer: '',
    title: 'Home',
    pageType: '/',
    browser: 'Firefox',
    os: 'Linux',
    deviceType: 'desktop',
    isBot: false,
    ipPrefix: '192.0.2.0',
    country: 'DE',
    channel: 'Direct',
    source: '',
    medium: '',
    campaign: '',
    term: '',
    content: '',
    clickId: '',
    referrerClass: 'direct',
    referrerDomain: '',
    isConversion: false,
    revenue: 0,
    currency: '',
    properties: '{}',
    processorVersion: 'test',
    ...fields,
  };
}

export interface TruthSession {
  readonly summary: SessionSummary;
  readonly closed: boolean;
}

export interface History {
  readonly events: readonly ClickEvent[];
  /** In write order, including replays and a merge. */
  readonly sessionOutputs: readonly SessionOutput[];
  /** What queries must see: the latest version of each session that was not merged away. */
  readonly sessions: readonly TruthSession[];
  readonly scores: readonly ScoreRecord[];
  readonly failures: readonly FailedEvent[];
  readonly profiles: readonly Profile[];
  readonly identities: readonly IdentityLink[];
}

const FAILURE_REASONS_USED: readonly FailureReason[] = [
  'invalid_json',
  'schema_violation',
  'missing_identity',
  'late',
];
const STAGES: readonly FailureStage[] = ['collector', 'processor', 'sessionizer'];

export function buildHistory(visitorCount = 40, seed = 7): History {
  const random = prng(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const events: ClickEvent[] = [];
  const outputs: SessionOutput[] = [];
  const truth: TruthSession[] = [];
  const scores: ScoreRecord[] = [];
  const identities: IdentityLink[] = [];

  for (let v = 0; v < visitorCount; v++) {
    const site = v % 6 === 0 ? SITES[1] : SITES[0];
    const visitor = v % 7 === 0 ? `v${v}-it's \\ "odd"` : `v${v}`;
    const userId = v % 3 === 0 ? `user-${v}` : null;
    const device = pick(DEVICES);
    const country = pick(COUNTRIES);
    const sessionCount = 1 + Math.floor(random() * 4);
    // Spread over ~3 days; sessions of one visitor hours apart.
    let clock = BASE + Math.floor(random() * 36) * 3_600_000 + v * 1_000;
    for (let k = 0; k < sessionCount; k++) {
      const id = `s-${String(v).padStart(3, '0')}-${k}`;
      const channel = pick(CHANNELS);
      const pages = 1 + Math.floor(random() * 6);
      const converts = random() < 0.35;
      const sessionEvents: ClickEvent[] = [];
      for (let p = 0; p < pages; p++) {
        const pageType = pick(PAGE_TYPES);
        sessionEvents.push(
          makeEvent({
            id: `${id}-e${p}`,
            site,
            visitor,
            anonymousId: visitor,
            userId,
            timestamp: clock + p * 30_000,
            pageType,
            path: pageType,
            channel,
            country,
            deviceType: device,
          }),
        );
      }
      if (converts) {
        sessionEvents.push(
          makeEvent({
            id: `${id}-order`,
            site,
            visitor,
            anonymousId: visitor,
            userId,
            type: 'track',
            name: 'Order Completed',
            timestamp: clock + pages * 30_000,
            pageType: '',
            channel,
            country,
            deviceType: device,
            isConversion: true,
            revenue: 10 + v * 0.25 + k,
            currency: 'EUR',
          }),
        );
      }
      events.push(...sessionEvents);
      let summary: SessionSummary | undefined;
      for (const [i, e] of sessionEvents.entries()) {
        const pageEvents = sessionEvents.slice(0, i + 1).filter((x) => x.type === 'page');
        const conversions = sessionEvents.slice(0, i + 1).filter((x) => x.isConversion);
        summary = {
          id,
          site,
          visitor,
          userId,
          startedAt: clock,
          endedAt: e.timestamp,
          eventCount: i + 1,
          pageviewCount: pageEvents.length,
          path: pageEvents.map((x) => x.pageType),
          entryChannel: channel,
          entrySource: 'src',
          entryMedium: 'med',
          entryCampaign: '',
          landingPage: sessionEvents[0]?.pageType ?? '',
          exitPage: pageEvents[pageEvents.length - 1]?.pageType ?? '',
          deviceType: device,
          country,
          isBot: false,
          converted: conversions.length > 0,
          conversions: conversions.length,
          revenue: conversions.reduce((sum, x) => sum + x.revenue, 0),
          currency: conversions.length > 0 ? 'EUR' : '',
          version: i + 1,
        };
        outputs.push({ kind: 'update', session: summary, event: e });
        scores.push({
          site,
          visitor,
          sessionId: id,
          at: e.timestamp,
          propensity: ((v * 7 + i * 13) % 100) / 100,
          markovProbability: ((v + i) % 10) / 10,
          nextPages: [{ pageType: pick(PAGE_TYPES), probability: 0.5 }],
          modelVersion: 'm1',
          channel,
          country,
          deviceType: device,
        });
      }
      const final = summary as SessionSummary;
      // Every 11th visitor's last session is still open.
      const open = v % 11 === 5 && k === sessionCount - 1;
      if (!open) outputs.push({ kind: 'closed', session: final, reason: 'gap', mergedInto: null });
      // A replay (at-least-once delivery after a crash) writes some sessions' rows again.
      if (v % 5 === 2) outputs.push(...outputs.slice(-sessionEvents.length - (open ? 0 : 1)));
      truth.push({ summary: final, closed: !open });
      if (userId !== null && k === 0) {
        identities.push({ site, anonymousId: visitor, userId, at: clock });
      }
      clock += 2 * 3_600_000 + Math.floor(random() * 3_600_000);
    }
    // Every 9th visitor had a session that a late event merged into their first one: its rows
    // were written, then a merge tombstone; it must vanish from every query.
    if (v % 9 === 0) {
      const first = truth.find((t) => t.summary.visitor === visitor && t.summary.site === site);
      const ghost: SessionSummary = {
        ...(first as TruthSession).summary,
        id: `s-${String(v).padStart(3, '0')}-ghost`,
        startedAt: (first as TruthSession).summary.startedAt + 40 * MINUTE,
        converted: true,
        conversions: 3,
        revenue: 999,
        version: 2,
      };
      outputs.push({
        kind: 'update',
        session: { ...ghost, version: 1 },
        event: makeEvent({ id: 'x' }),
      });
      outputs.push({ kind: 'update', session: ghost, event: makeEvent({ id: 'y' }) });
      outputs.push({
        kind: 'closed',
        session: ghost,
        reason: 'merged',
        mergedInto: (first as TruthSession).summary.id,
      });
    }
  }
  // Some events delivered twice.
  events.push(...events.filter((_, i) => i % 10 === 3));

  const failures: FailedEvent[] = [];
  for (let i = 0; i < 30; i++) {
    const failure: FailedEvent = {
      id: `f-${String(i).padStart(2, '0')}`,
      site: i % 4 === 0 ? SITES[1] : SITES[0],
      reason: FAILURE_REASONS_USED[i % FAILURE_REASONS_USED.length] as FailureReason,
      message: `broken field ${i % 3 === 0 ? "it's \\ here" : 'x'}`,
      stage: STAGES[i % STAGES.length] as FailureStage,
      processorVersion: 'test',
      size: 100 + i,
      payload: `{"n":${i}}`,
      failedAt: BASE + i * 7 * MINUTE,
      topic: i % 2 === 0 ? 'pathcast.events' : '',
      partition: i % 2 === 0 ? i % 8 : -1,
      offset: i % 2 === 0 ? 1000 + i : -1,
    };
    failures.push(failure);
    // Replayed failure: same key, later time; browsing shows it once, at its latest time.
    if (i % 6 === 1) failures.push({ ...failure, failedAt: failure.failedAt + 3 * MINUTE });
  }

  const profiles: Profile[] = [];
  for (let u = 0; u < visitorCount; u += 3) {
    const base: Profile = {
      userId: `user-${u}`,
      emailHash: `hash-${u}`,
      segment: 'new',
      lifetimeValue: u * 1.5,
      orders: u % 4,
      firstOrderAt: u % 4 === 0 ? null : BASE - 86_400_000,
      lastOrderAt: u % 4 === 0 ? null : BASE,
      tenureDays: u,
      churned: u % 2 === 0,
      attributes: { plan: u % 2 === 0 ? 'pro' : 'free', "it's": 'quoted \\ value' },
      updatedAt: BASE,
    };
    profiles.push(base);
    // A newer version wins; an older one arriving later loses.
    if (u % 2 === 0) profiles.push({ ...base, segment: 'loyal', updatedAt: BASE + 1000 });
    profiles.push({ ...base, segment: 'stale', updatedAt: BASE - 1000 });
  }

  return {
    events,
    sessionOutputs: outputs,
    sessions: truth,
    scores,
    failures,
    profiles,
    identities,
  };
}

/** ClickHouse orders String by bytes; JavaScript's default sort by UTF-16 units differs. */
export const byBytes = (a: string, b: string): number =>
  Buffer.compare(Buffer.from(a), Buffer.from(b));
