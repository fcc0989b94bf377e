/** Segment's HTTP Tracking API limits, which Pathcast keeps so existing senders fit unchanged. */
export const LIMITS = {
  /** Largest single event, bytes of JSON. */
  eventBytes: 32 * 1024,
  /** Largest request body (a batch), bytes, after decompression. */
  batchBytes: 500 * 1024,
  /** Most events in one batch. */
  batchEvents: 2_500,
  /** Longest id (messageId, anonymousId, userId, ...), characters. */
  idChars: 256,
} as const;

/** Longest values of the event fields the schema bounds (schema.ts), characters. */
export const FIELD_LIMITS = {
  /** timestamp, originalTimestamp, sentAt, receivedAt. */
  timeChars: 64,
  /** A track event's name, a page's or screen's name and category. */
  nameChars: 1024,
} as const;

/** Time sanity: how far event times may be from the receive time. */
export const TIME_LIMITS = {
  /** Later than receivedAt + this is clamped to receivedAt and flagged. */
  maxFutureMs: 23 * 60 * 60 * 1000,
  /** Earlier than this (2000-01-01) is absurd and rejected. */
  minTimestampMs: Date.UTC(2000, 0, 1),
  /** Later than receivedAt + this (one year) is absurd and rejected, not clamped. */
  absurdFutureMs: 366 * 24 * 60 * 60 * 1000,
} as const;
