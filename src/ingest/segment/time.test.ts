import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../core/index.js';
import {
  eventTimeAccepted,
  parseSentAt,
  parseTime,
  parseTimeIn,
  resolveEventTime,
} from './time.js';

const received = Date.parse('2026-06-01T12:00:00.000Z');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const iso = (ms: number): string => new Date(ms).toISOString();

describe('resolveEventTime', () => {
  it.each([
    ['no time at all: receivedAt', {}, received, 0, false],
    [
      'timestamp without sentAt: as given',
      { timestamp: iso(received - HOUR) },
      received - HOUR,
      0,
      false,
    ],
    [
      'client clock 2 days ahead: corrected',
      { timestamp: iso(received + 2 * DAY - 5_000), sentAt: iso(received + 2 * DAY) },
      received - 5_000,
      -2 * DAY,
      false,
    ],
    [
      'client clock 30 days behind: corrected',
      { timestamp: iso(received - 30 * DAY - 60_000), sentAt: iso(received - 30 * DAY) },
      received - 60_000,
      30 * DAY,
      false,
    ],
    [
      'originalTimestamp when timestamp is missing',
      { originalTimestamp: iso(received - 10_000), sentAt: iso(received - 1_000) },
      received - 9_000,
      1_000,
      false,
    ],
    [
      '25 h in the future, no sentAt: clamped',
      { timestamp: iso(received + 25 * HOUR) },
      received,
      0,
      true,
    ],
    [
      '22 h in the future: kept',
      { timestamp: iso(received + 22 * HOUR) },
      received + 22 * HOUR,
      0,
      false,
    ],
  ])('%s', (_name, fields, timestamp, skew, clamped) => {
    const result = resolveEventTime(fields, received);
    expect(result).toEqual({
      ok: true,
      value: expect.objectContaining({ timestamp, clockSkewMs: skew, futureClamped: clamped }),
    });
  });

  it.each([
    ['garbage', { timestamp: 'yesterday-ish' }],
    ['before 2000', { timestamp: '1970-01-01T00:00:00Z' }],
    ['two years ahead', { timestamp: iso(received + 730 * DAY) }],
    ['bad sentAt', { timestamp: iso(received), sentAt: '\u0000; DROP TABLE' }],
    ['10k characters', { timestamp: 'x'.repeat(10_000) }],
  ])('rejects %s', (_name, fields) => {
    const result = resolveEventTime(fields, received);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.code).toBe('invalid_timestamp');
  });

  it('corrects each event by its own sentAt when batches with different clocks interleave', () => {
    // The event and sent times are cached apart (the last text each): the cached values must
    // never answer for another text, whatever the order of the calls.
    const random = mulberry32(7);
    const clocks = [0, 2 * DAY, -30 * DAY, 5_000];
    for (let i = 0; i < 2_000; i++) {
      const skew = clocks[Math.floor(random() * clocks.length)] ?? 0;
      const age = Math.floor(random() * HOUR);
      const same = random() < 0.3;
      const fields = {
        timestamp: iso(received + skew - (same ? 0 : age)),
        sentAt: iso(received + skew),
      };
      const result = resolveEventTime(fields, received);
      expect(result.ok).toBe(true);
      if (!result.ok) continue;
      expect(result.value.timestamp).toBe(received - (same ? 0 : age));
      expect(result.value.clockSkewMs).toBe(received - (received + skew));
      expect(result.value.sentAt).toBe(received + skew);
      expect(parseTime(fields.timestamp)).toBe(received + skew - (same ? 0 : age));
    }
  });
});

describe('parseTime', () => {
  // Its own digit-by-digit reading of the common form must answer exactly what Date.parse does.
  const same = (text: string): void => {
    expect([text, parseTime(text)]).toEqual([text, Date.parse(text)]);
    // Asked again (the one-entry memo), the same answer.
    expect([text, parseTime(text)]).toEqual([text, Date.parse(text)]);
    // Read in place inside a longer text, the same answer.
    const around = `{"timestamp":"${text}","x":1}`;
    const at = around.indexOf(text);
    expect([text, parseTimeIn(around, at, at + text.length)]).toEqual([text, Date.parse(text)]);
  };

  it.each([
    '2026-01-01T00:00:00Z',
    '2026-01-01T00:00:00.1Z',
    '2026-01-01T00:00:00.12Z',
    '2026-01-01T00:00:00.123Z',
    '2026-01-01T00:00:00.123456789Z',
    '2026-01-01T00:00:00.Z',
    '2024-02-29T23:59:59.999Z',
    '2026-02-29T00:00:00Z',
    '2026-02-30T00:00:00Z',
    '2026-04-31T00:00:00Z',
    '1900-02-29T00:00:00Z',
    '1000-01-01T00:00:00Z',
    '1600-02-29T12:00:00Z',
    '1969-12-31T23:59:59.999Z',
    '2100-02-28T23:59:59Z',
    '2100-03-01T00:00:00Z',
    '9999-12-31T23:59:59.999Z',
    '2000-02-29T00:00:00Z',
    '2026-01-01T24:00:00Z',
    '2026-01-01T23:60:00Z',
    '2026-01-01T23:59:60Z',
    '2026-13-01T00:00:00Z',
    '2026-00-01T00:00:00Z',
    '2026-01-00T00:00:00Z',
    '0999-01-01T00:00:00Z',
    '0050-01-01T00:00:00Z',
    '+002026-01-01T00:00:00Z',
    '2026-01-01T00:00:00+02:00',
    '2026-01-01T00:00:00',
    '2026-01-01',
    '2026-01-01 00:00:00Z',
    '2026-01-01T00:00:0aZ',
    '2026-01-01T00:00:00.1aZ',
    '2026-0１-01T00:00:00Z',
    'Mon, 01 Jun 2026 12:00:00 GMT',
    'not a time',
  ])('reads %s as Date.parse does', same);

  it('reads random times and their one-character mutations as Date.parse does', () => {
    const random = mulberry32(42);
    const alphabet = '0123456789-:.TZ+ x';
    for (let i = 0; i < 5_000; i++) {
      const ms = Math.floor((random() - 0.3) * 4e12);
      let text = new Date(ms).toISOString();
      if (i % 3 === 0) text = text.replace(/\.\d+Z$/, 'Z');
      if (i % 5 === 0) text = text.replace('Z', `${Math.floor(random() * 1e6)}Z`);
      same(text);
      const at = Math.floor(random() * text.length);
      const ch = alphabet[Math.floor(random() * alphabet.length)] ?? 'x';
      same(text.slice(0, at) + ch + text.slice(at + 1));
    }
  });

  it('is NaN for what is not a non-empty string', () => {
    for (const value of [undefined, null, 0, 1_767_225_600_000, '', {}, []]) {
      expect(parseTime(value)).toBeNaN();
    }
  });
});

describe('eventTimeAccepted', () => {
  it('gives the verdict of resolveEventTime, from the times read apart', () => {
    const random = mulberry32(11);
    const times = [
      undefined,
      null,
      '',
      'soon',
      iso(received),
      iso(received - 3 * DAY),
      iso(received + 22 * HOUR),
      iso(received + 30 * DAY),
      iso(received + 400 * DAY),
      '1999-12-31T23:59:59.999Z',
      '2000-01-01T00:00:00Z',
      '2026-06-01T14:00:00+02:00',
    ];
    const pick = () => times[Math.floor(random() * times.length)];
    const verdicts = { true: 0, false: 0 };
    for (let i = 0; i < 3_000; i++) {
      const fields = { timestamp: pick(), originalTimestamp: pick(), sentAt: pick() };
      const given = fields.timestamp ?? fields.originalTimestamp;
      const hasTime = given !== undefined && given !== null;
      const hasSentAt = fields.sentAt !== undefined && fields.sentAt !== null;
      const verdict = eventTimeAccepted(
        hasTime ? parseTime(given) : received,
        hasTime,
        hasSentAt ? parseSentAt(fields.sentAt) : Number.NaN,
        hasSentAt,
        received,
      );
      expect([fields, verdict]).toEqual([fields, resolveEventTime(fields, received).ok]);
      verdicts[verdict ? 'true' : 'false']++;
    }
    expect(verdicts.true).toBeGreaterThan(300);
    expect(verdicts.false).toBeGreaterThan(300);
  });
});
