import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  checkText,
  hashEmail,
  parseCount,
  parseDecimal,
  parseEmail,
  parseEmailHash,
  parseFlag,
  parseInstant,
} from './profile-values.js';

const MAY_1 = Date.UTC(2024, 4, 1);

describe('parseInstant', () => {
  it.each([
    ['2024-05-01', MAY_1],
    ['2024-05-01T00:00:00Z', MAY_1],
    ['2024-05-01T12:30', MAY_1 + 12.5 * 3_600_000],
    ['2024-05-01 12:30:15', MAY_1 + 12.5 * 3_600_000 + 15_000],
    ['2024-05-01T12:30:15.5Z', MAY_1 + 12.5 * 3_600_000 + 15_500],
    ['2024-05-01T12:30:15.123456789Z', MAY_1 + 12.5 * 3_600_000 + 15_123],
    ['2024-05-01T02:00:00+02:00', MAY_1],
    ['2024-04-30T19:00:00-0500', MAY_1],
    ['2024-02-29', Date.UTC(2024, 1, 29)],
    ['2000-02-29', Date.UTC(2000, 1, 29)],
    ['1972-06-01', Date.UTC(1972, 5, 1)],
    ['  2024-05-01  ', MAY_1],
    [String(MAY_1), MAY_1],
    [MAY_1, MAY_1],
    ['', null],
    [null, null],
    [undefined, null],
  ])('%j is %j', (value, expected) => {
    expect(parseInstant(value)).toEqual({ ok: true, value: expected });
  });

  it.each([
    ['1714521600', /looks like seconds/],
    [1714521600, /looks like seconds/],
    ['2024-02-31', /not a valid date/],
    ['2024-13-01', /not a valid date/],
    ['2024-05-01T25:00', /not a valid date/],
    ['May 1, 2024', /expected an ISO 8601 date/],
    ['1969-12-31', /before 1970/],
    ['0050-01-01', /before 1970/],
    ['2024-05-01T10:00+25:00', /invalid UTC offset/],
    ['2023-02-29', /not a valid date/],
    ['2024-04-31', /not a valid date/],
    ['2024-05-01T23:60', /not a valid date/],
    ['01/05/2024', /expected an ISO 8601 date/],
    ['2024-05-01T12:00:00 Europe/Paris', /expected an ISO 8601 date/],
    [1.5e12 + 0.5, /whole epoch milliseconds/],
    ['99999999999999999999', /whole epoch milliseconds/],
    [9e15, /after the year 9999/],
    [true, /expected an ISO 8601 date or epoch ms, got boolean true/],
    [{}, /got an object/],
  ])('refuses %j', (value, reason) => {
    const result = parseInstant(value);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(reason);
  });

  it('reads a date-time without an offset as UTC, whatever the local zone', () => {
    const result = parseInstant('2024-05-01T00:00:00');
    expect(result).toEqual({ ok: true, value: MAY_1 });
  });
});

describe('numbers and flags', () => {
  it.each([
    ['12.5', 12.5],
    [' -3 ', -3],
    ['1e3', 1000],
    ['.5', 0.5],
    [7, 7],
    ['', 0],
    [null, 0],
  ])('parseDecimal(%j) = %j', (value, expected) => {
    expect(parseDecimal(value, 0)).toEqual({ ok: true, value: expected });
  });

  it.each(['1,234.5', '12 EUR', 'NaN', 'Infinity', '0x10', '--1', Number.NaN, Infinity, [], true])(
    'parseDecimal refuses %j',
    (value) => {
      expect(parseDecimal(value, 0).ok).toBe(false);
    },
  );

  it.each([
    ['0', 0],
    ['42', 42],
    [42, 42],
    ['+7', 7],
    ['', 0],
    ['2147483647', 2_147_483_647],
  ])('parseCount(%j) = %j', (value, expected) => {
    expect(parseCount(value)).toEqual({ ok: true, value: expected });
  });

  it.each(['-1', '1.5', 1.5, 'ten', '2147483648', '1e3', false, {}])(
    'parseCount refuses %j',
    (value) => {
      expect(parseCount(value).ok).toBe(false);
    },
  );

  it.each([
    ['true', true],
    ['TRUE', true],
    ['1', true],
    ['yes', true],
    ['Y', true],
    [true, true],
    [1, true],
    ['false', false],
    ['0', false],
    ['No', false],
    [0, false],
    [false, false],
    ['', false],
    [null, false],
  ])('parseFlag(%j) = %j', (value, expected) => {
    expect(parseFlag(value)).toEqual({ ok: true, value: expected });
  });

  it.each(['maybe', '2', 2, 'ja', {}])('parseFlag refuses %j', (value) => {
    expect(parseFlag(value).ok).toBe(false);
  });
});

describe('emails', () => {
  const digest = (text: string): string => createHash('sha256').update(text).digest('hex');

  it('hashes the trimmed, lower-cased address', () => {
    expect(hashEmail('  Ann.Lee@Example.COM ')).toBe(digest('ann.lee@example.com'));
    expect(parseEmail('Ann.Lee@Example.com')).toEqual({
      ok: true,
      value: digest('ann.lee@example.com'),
    });
    expect(parseEmail('')).toEqual({ ok: true, value: '' });
  });

  it('refuses something that is not an address without echoing it', () => {
    const result = parseEmail('secret-value-without-at');
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).not.toContain('secret');
  });

  it('takes a given hash, lower-cased, and refuses anything else', () => {
    const hash = digest('x@y.z');
    expect(parseEmailHash(hash.toUpperCase())).toEqual({ ok: true, value: hash });
    expect(parseEmailHash('abc').ok).toBe(false);
    expect(parseEmailHash(`${hash}0`).ok).toBe(false);
  });
});

describe('checkText', () => {
  it.each([
    ['a\u0000b', 'invalid_text', /NUL/],
    ['\ud800x', 'invalid_text', /unpaired/],
    ['x\udc00', 'invalid_text', /unpaired/],
    ['x'.repeat(11), 'too_long', /11 characters long; the limit is 10/],
  ])('refuses %j', (text, code, reason) => {
    const result = checkText(text, 10);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.code).toBe(code);
      expect(result.reason).toMatch(reason);
    }
  });

  it.each(['😀', 'e\u0301', "'; DROP TABLE x; --", '\\', '"quoted"', '\t\r\n'])(
    'keeps %j',
    (text) => {
      expect(checkText(text, 100)).toEqual({ ok: true, value: text });
    },
  );
});
