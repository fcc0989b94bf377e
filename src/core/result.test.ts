import { describe, expect, it } from 'vitest';
import { andThen, fail, isOk, mapResult, ok, type Result } from './result.js';

const parsePositive = (text: string): Result<number, 'not_a_number' | 'not_positive'> => {
  const value = Number(text);
  if (Number.isNaN(value)) return fail('not_a_number', `"${text}" is not a number`);
  return value > 0 ? ok(value) : fail('not_positive', `${value} is not positive`);
};

describe('Result', () => {
  it.each([
    ['5', ok(10)],
    ['abc', fail('not_a_number', '"abc" is not a number')],
    ['-1', fail('not_positive', '-1 is not positive')],
  ])('maps and chains %s', (input, expected) => {
    expect(mapResult(parsePositive(input), (n) => n * 2)).toEqual(expected);
  });

  it('stops at the first failure', () => {
    const chained = andThen(parsePositive('-1'), () => ok('never'));
    expect(isOk(chained)).toBe(false);
    expect(chained).toEqual({ ok: false, code: 'not_positive', reason: '-1 is not positive' });
  });

  it('keeps details of a failure', () => {
    expect(fail('too_large', 'event is 40000 bytes', { limit: 32768 }).details).toEqual({
      limit: 32768,
    });
  });
});
