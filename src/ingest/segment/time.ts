import { fail, ok, type Result } from '../../core/index.js';
import { TIME_LIMITS } from './limits.js';

export interface EventTime {
  /** Corrected event time, ms. */
  readonly timestamp: number;
  readonly sentAt: number | null;
  readonly clockSkewMs: number;
  readonly futureClamped: boolean;
}

/** ISO 8601 (or anything Date.parse reads) to ms; NaN when unreadable. */
export function parseTime(value: unknown): number {
  if (typeof value !== 'string' || value === '') return Number.NaN;
  return Date.parse(value);
}

/**
 * Event time in Segment's way: the client's clock is trusted for the order of its own events but
 * not for absolute time, so the event time is shifted by how far the client's clock was off when
 * it sent the batch: timestamp + (receivedAt - sentAt). An event with no time takes receivedAt.
 * Absurd times (unreadable, before 2000, or over a year ahead after correction) are rejected;
 * times more than 23 h ahead are clamped to receivedAt and flagged.
 */
export function resolveEventTime(
  fields: {
    readonly timestamp?: unknown;
    readonly originalTimestamp?: unknown;
    readonly sentAt?: unknown;
  },
  receivedAt: number,
): Result<EventTime, 'invalid_timestamp'> {
  const given = fields.timestamp ?? fields.originalTimestamp;
  const hasTime = given !== undefined && given !== null;
  const raw = hasTime ? parseTime(given) : receivedAt;
  if (Number.isNaN(raw)) {
    return fail('invalid_timestamp', `timestamp ${JSON.stringify(given)} is not an ISO 8601 time`);
  }
  const hasSentAt = fields.sentAt !== undefined && fields.sentAt !== null;
  const sentAt = hasSentAt ? parseTime(fields.sentAt) : Number.NaN;
  if (hasSentAt && Number.isNaN(sentAt)) {
    return fail(
      'invalid_timestamp',
      `sentAt ${JSON.stringify(fields.sentAt)} is not an ISO 8601 time`,
    );
  }
  const skew = hasTime && hasSentAt ? receivedAt - sentAt : 0;
  const corrected = raw + skew;
  if (corrected < TIME_LIMITS.minTimestampMs) {
    return fail(
      'invalid_timestamp',
      `event time ${new Date(corrected).toISOString()} is before 2000`,
    );
  }
  if (corrected > receivedAt + TIME_LIMITS.absurdFutureMs) {
    return fail('invalid_timestamp', 'event time is more than a year after it was received');
  }
  const clamp = corrected > receivedAt + TIME_LIMITS.maxFutureMs;
  return ok({
    timestamp: clamp ? receivedAt : corrected,
    sentAt: hasSentAt ? sentAt : null,
    clockSkewMs: skew,
    futureClamped: clamp,
  });
}
