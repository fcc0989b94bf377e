/**
 * The internal event every transport carries after the collector or ingest accepted it.
 *
 * It is flat and fully populated (nullable rather than optional) so it maps one to one onto a
 * ClickHouse row and serialises the same way from every producer. Times are UInt64-style
 * milliseconds since the Unix epoch (UTC).
 */

export const EVENT_TYPES = ['track', 'page', 'screen', 'identify', 'alias', 'group'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export const DEVICE_TYPES = ['desktop', 'mobile', 'tablet', 'bot', 'other'] as const;
export type DeviceType = (typeof DEVICE_TYPES)[number];

export interface ClickEvent {
  /** Event id and dedupe key: the Segment messageId (generated when the sender gave none). */
  readonly id: string;
  /** Site (tenant) the write key belongs to. */
  readonly site: string;
  readonly type: EventType;
  /** `track` event name, page/screen name; '' for identify/alias/group. */
  readonly name: string;
  /** Visitor key: anonymousId, or `user:<userId>` when the sender has only a user id. */
  readonly visitor: string;
  readonly anonymousId: string | null;
  readonly userId: string | null;
  /** alias: the id being merged into userId. */
  readonly previousId: string | null;
  /** group: the account id. */
  readonly groupId: string | null;

  /** Event time after clock-skew correction. */
  readonly timestamp: number;
  /** When the collector received it. */
  readonly receivedAt: number;
  /** When the client sent it, by the client's clock (null when not given). */
  readonly sentAt: number | null;
  /** receivedAt - sentAt: how far the client's clock was behind (positive) or ahead. */
  readonly clockSkewMs: number;
  /** True when the corrected time was more than the allowed future and was clamped. */
  readonly futureClamped: boolean;

  readonly url: string;
  readonly path: string;
  readonly referrer: string;
  readonly title: string;
  /** Page type from the URL rules, e.g. `/product/:id`. */
  readonly pageType: string;

  readonly browser: string;
  readonly os: string;
  readonly deviceType: DeviceType;
  readonly isBot: boolean;
  /** IP truncated to /24 (IPv4) or /48 (IPv6), or '' when dropped. Never the raw IP. */
  readonly ipPrefix: string;
  /** ISO 3166-1 alpha-2, or '' when unknown. */
  readonly country: string;

  /** GA4 default channel group, e.g. `Organic Search`. */
  readonly channel: string;
  readonly source: string;
  readonly medium: string;
  readonly campaign: string;
  readonly term: string;
  readonly content: string;
  /** Which click id was present (gclid, fbclid, ...), '' when none. */
  readonly clickId: string;
  /** Referrer class: search, social, email, internal, external, direct, ... */
  readonly referrerClass: string;
  readonly referrerDomain: string;

  readonly isConversion: boolean;
  /** Revenue of a conversion, in `currency` units; 0 otherwise. */
  readonly revenue: number;
  readonly currency: string;

  /** The event's properties (track/page) or traits (identify/group), as JSON text. */
  readonly properties: string;
  /** Version of the processor that built this event. */
  readonly processorVersion: string;
}

/** A visitor session as the sessionizer keeps it: running aggregates, in event time. */
export interface SessionSummary {
  /** Deterministic: the same events give the same id on a replay. */
  readonly id: string;
  readonly site: string;
  readonly visitor: string;
  /** Known user id (from identify/alias stitching), else null. */
  readonly userId: string | null;
  /** Event time of the first and last event, ms. */
  readonly startedAt: number;
  readonly endedAt: number;
  readonly eventCount: number;
  readonly pageviewCount: number;
  /** Page types visited in order (consecutive repeats kept), capped at MAX_SESSION_PATH. */
  readonly path: readonly string[];
  /** Marketing context of the session's first event. */
  readonly entryChannel: string;
  readonly entrySource: string;
  readonly entryMedium: string;
  readonly entryCampaign: string;
  readonly landingPage: string;
  readonly exitPage: string;
  readonly deviceType: DeviceType;
  readonly country: string;
  readonly isBot: boolean;
  readonly converted: boolean;
  readonly conversions: number;
  readonly revenue: number;
  readonly currency: string;
  /**
   * Increases with every change of the session; storage keeps the row with the highest version
   * (ReplacingMergeTree), so replays and updates are harmless.
   */
  readonly version: number;
}

/** Longest page-type path kept per session; later pages still count in the aggregates. */
export const MAX_SESSION_PATH = 64;

export type SessionCloseReason = 'gap' | 'max_length' | 'campaign' | 'merged' | 'shutdown';

export interface SessionUpdate {
  readonly kind: 'update';
  readonly session: SessionSummary;
  /** The event that caused the update. */
  readonly event: ClickEvent;
}

export interface SessionClosed {
  readonly kind: 'closed';
  readonly session: SessionSummary;
  readonly reason: SessionCloseReason;
  /** For reason 'merged': the session this one became part of. */
  readonly mergedInto: string | null;
}

export type SessionOutput = SessionUpdate | SessionClosed;

/** What the CRM knows about a user. */
export interface Profile {
  readonly userId: string;
  /** SHA-256 of the lower-cased, trimmed email, hex; '' when unknown. */
  readonly emailHash: string;
  readonly segment: string;
  readonly lifetimeValue: number;
  readonly orders: number;
  /** ms, or null when the user never ordered. */
  readonly firstOrderAt: number | null;
  readonly lastOrderAt: number | null;
  readonly tenureDays: number;
  readonly churned: boolean;
  readonly attributes: Readonly<Record<string, string>>;
  /** When the source last changed the profile, ms. */
  readonly updatedAt: number;
}

/** A live score of a visitor, pushed to websockets and kept as a timeline. */
export interface Score {
  readonly site: string;
  readonly visitor: string;
  readonly sessionId: string;
  /** Event time of the event that triggered the score. */
  readonly at: number;
  /** Calibrated probability that the session converts from here. */
  readonly propensity: number;
  /** The Markov chain's conversion probability from the visitor's current state. */
  readonly markovProbability: number;
  readonly nextPages: ReadonlyArray<{ readonly pageType: string; readonly probability: number }>;
  readonly modelVersion: string;
}
