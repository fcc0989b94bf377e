import { describe, expect, it } from 'vitest';
import { resolveEventTime } from './time.js';

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
});
