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
