import { describe, expect, it } from 'vitest';
import { avalanche, hashLanes } from './string-hash.js';

describe('string lanes', () => {
  // Session ids and event fingerprints are made from these lanes and are stored: these values
  // must never change (string-hash.ts, TRICKY; sessionizer/hash.test.ts pins the ids as well).
  it.each([
    ['', -2128831035, 461845907, 2872998923],
    ['a', -468965075, 643689313, 711464985],
    ['ab', 2119313710, -351112707, 352794324],
    ['user-12345', 1431985490, -1090411316, 747222560],
    ['ünï✓😀', 889607573, 1981288723, 3307741295],
  ])('keeps the lanes of %j', (text, a, b, finished) => {
    const out = { a: 0, b: 0 };
    expect(hashLanes(text, out)).toBe(out);
    expect(out).toEqual({ a, b });
    expect(avalanche(out.a)).toBe(finished);
  });

  it('tells apart strings that differ in one unit, in order or in length', () => {
    const seen = new Set<string>();
    const texts = ['ab', 'ba', 'abc', 'ab\u0000', 'aB', 'a', 'b', 'abcd', 'abdc'];
    for (const text of texts) {
      const { a, b } = hashLanes(text, { a: 0, b: 0 });
      seen.add(`${a}/${b}`);
    }
    expect(seen.size).toBe(texts.length);
  });

  it('finishes a lane into an unsigned 32-bit number', () => {
    for (const h of [0, 1, -1, 0x7fffffff, -0x80000000]) {
      const out = avalanche(h);
      expect(Number.isInteger(out) && out >= 0 && out < 2 ** 32).toBe(true);
    }
    expect(avalanche(0)).toBe(0);
    expect(avalanche(1)).not.toBe(avalanche(2));
  });
});
