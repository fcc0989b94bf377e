import { fail, ok, type Result } from '../../core/index.js';
import { TIME_LIMITS } from './limits.js';

export interface EventTime {
  /** Corrected event time, ms. */
  readonly timestamp: number;
  readonly sentAt: number | null;
  readonly clockSkewMs: number;
  readonly futureClamped: boolean;
}

/**
 * The last text one caller parsed and its time. A batch's events share the batch's sentAt but
 * each has its own timestamp, so event times and sent times keep apart caches: with one, every
 * timestamp would evict the sentAt and each event would parse it again.
 */
class LastParsed {
  private text = '';
  private time = Number.NaN;

  parse(value: unknown): number {
    if (typeof value !== 'string' || value === '') return Number.NaN;
    if (value === this.text) return this.time;
    const fast = parseUtcIso(value);
    const time = fast >= 0 ? fast : Date.parse(value);
    this.text = value;
    this.time = time;
    return time;
  }
}

const eventTimes = new LastParsed();
const sentTimes = new LastParsed();

/**
 * ISO 8601 (or anything Date.parse reads) to ms; NaN when unreadable.
 *
 * The form every tracker sends, `YYYY-MM-DDTHH:MM:SS[.fraction]Z`, is read digit by digit:
 * Date.parse costs about a microsecond here, and the collector reads two times an event. Any
 * other form, or a field out of range, goes to Date.parse, so the answers are Date.parse's.
 */
export function parseTime(value: unknown): number {
  return eventTimes.parse(value);
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * Like parseTime, for the characters [start, end) of a text, without cutting them out unless
 * the form is not the usual one.
 */
export function parseTimeIn(text: string, start: number, end: number): number {
  if (end <= start) return Number.NaN;
  const fast = parseUtcIso(text, start, end);
  return fast >= 0 ? fast : eventTimes.parse(text.slice(start, end));
}

/** `YYYY-MM-DDTHH:MM:SS[.f+]Z` (years 1000 on) in text[at, end) to ms, or -1 for anything else. */
function parseUtcIso(text: string, at = 0, end = text.length): number {
  const length = end - at;
  if (length < 20 || text.charCodeAt(end - 1) !== 90 /* Z */) return -1;
  if (
    text.charCodeAt(at + 4) !== 45 ||
    text.charCodeAt(at + 7) !== 45 ||
    text.charCodeAt(at + 10) !== 84 ||
    text.charCodeAt(at + 13) !== 58 ||
    text.charCodeAt(at + 16) !== 58
  ) {
    return -1;
  }
  const year = digits(text, at, 4);
  const month = digits(text, at + 5, 2);
  const day = digits(text, at + 8, 2);
  const hour = digits(text, at + 11, 2);
  const minute = digits(text, at + 14, 2);
  const second = digits(text, at + 17, 2);
  if (year < 1000 || month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59) return -1;
  if (second < 0 || second > 59 || hour < 0 || minute < 0) return -1;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  if (day > (month === 2 && leap ? 29 : (DAYS_IN_MONTH[month - 1] ?? 0))) return -1;
  let ms = 0;
  if (length > 20) {
    // A fraction: '.' and at least one digit; the first three digits are milliseconds.
    if (text.charCodeAt(at + 19) !== 46 || length < 22) return -1;
    for (let i = 20; i < length - 1; i++) {
      const d = text.charCodeAt(at + i) - 48;
      if (d < 0 || d > 9) return -1;
      if (i < 23) ms += d * (i === 20 ? 100 : i === 21 ? 10 : 1);
    }
  }
  return (
    daysFromCivil(year, month, day) * 86_400_000 +
    hour * 3_600_000 +
    minute * 60_000 +
    second * 1_000 +
    ms
  );
}

/**
 * Days from 1970-01-01 to a proleptic Gregorian date (year >= 0), by the era arithmetic of
 * Howard Hinnant's `days_from_civil`: cheaper than a call into Date.UTC.
 */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const dayOfEra =
    yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

/** The number `count` decimal digits spell from `at`, or -1 if one is not a digit. */
function digits(text: string, at: number, count: number): number {
  let value = 0;
  for (let i = at; i < at + count; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    value = value * 10 + d;
  }
  return value;
}

/** A sentAt to ms (NaN when unreadable), through the cache batches share (see LastParsed). */
export function parseSentAt(value: unknown): number {
  return sentTimes.parse(value);
}

/** Why resolveEventTime refuses times, or 'ok'. */
type TimeProblem = 'ok' | 'unreadable' | 'unreadable_sent_at' | 'before_2000' | 'absurd_future';

/**
 * The checks of resolveEventTime on times already read: `raw` is the event's time (receivedAt
 * when it has none), `sentAt` the client's send time; NaN where unreadable.
 */
function timeProblem(
  raw: number,
  hasTime: boolean,
  sentAt: number,
  hasSentAt: boolean,
  receivedAt: number,
): TimeProblem {
  if (Number.isNaN(raw)) return 'unreadable';
  if (hasSentAt && Number.isNaN(sentAt)) return 'unreadable_sent_at';
  const corrected = raw + (hasTime && hasSentAt ? receivedAt - sentAt : 0);
  if (corrected < TIME_LIMITS.minTimestampMs) return 'before_2000';
  if (corrected > receivedAt + TIME_LIMITS.absurdFutureMs) return 'absurd_future';
  return 'ok';
}

/**
 * Whether resolveEventTime accepts these times, from times already read (parseTimeIn,
 * parseSentAt; NaN where unreadable), without building its answer: for readers that only
 * need the verdict.
 */
export function eventTimeAccepted(
  raw: number,
  hasTime: boolean,
  sentAt: number,
  hasSentAt: boolean,
  receivedAt: number,
): boolean {
  return timeProblem(raw, hasTime, sentAt, hasSentAt, receivedAt) === 'ok';
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
  const hasSentAt = fields.sentAt !== undefined && fields.sentAt !== null;
  const sentAt = hasSentAt ? parseSentAt(fields.sentAt) : Number.NaN;
  const problem = timeProblem(raw, hasTime, sentAt, hasSentAt, receivedAt);
  const skew = hasTime && hasSentAt ? receivedAt - sentAt : 0;
  const corrected = raw + skew;
  switch (problem) {
    case 'ok':
      break;
    case 'unreadable':
      return fail(
        'invalid_timestamp',
        `timestamp ${JSON.stringify(given)} is not an ISO 8601 time`,
      );
    case 'unreadable_sent_at':
      return fail(
        'invalid_timestamp',
        `sentAt ${JSON.stringify(fields.sentAt)} is not an ISO 8601 time`,
      );
    case 'before_2000':
      return fail(
        'invalid_timestamp',
        `event time ${new Date(corrected).toISOString()} is before 2000`,
      );
    case 'absurd_future':
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
