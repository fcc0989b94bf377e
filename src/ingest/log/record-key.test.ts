import { describe, expect, it } from 'vitest';
import { parseVisitorKey, visitorKey } from './record-key.js';

describe('visitorKey', () => {
  it('length-prefixes the site', () => {
    expect(visitorKey('demo', 'a1b2')).toBe('4:demoa1b2');
    expect(visitorKey('', 'v')).toBe('0:v');
  });

  it('never maps two different pairs to one key', () => {
    const pairs: Array<[string, string]> = [
      ['ab', 'c'],
      ['a', 'bc'],
      ['a:', 'b'],
      ['a', ':b'],
      ['1:a', 'b'],
      ['1', ':ab'],
      ['a\u0000', 'b'],
      ['a', '\u0000b'],
      ['', ''],
      ['', '0:'],
      ['site', ''],
    ];
    const keys = pairs.map(([site, visitor]) => visitorKey(site, visitor));
    expect(new Set(keys).size).toBe(pairs.length);
  });

  it.each([
    ['demo', 'a1b2'],
    ['', ''],
    ['s:i:t:e', 'v:i:s'],
    ['日本', '🙂'],
    ['x'.repeat(300), "'; DROP TABLE events; --"],
  ])('round-trips (%j, %j)', (site, visitor) => {
    expect(parseVisitorKey(visitorKey(site, visitor))).toEqual({ site, visitor });
  });

  it.each(['', 'abc', ':abc', '01:ab', '-1:ab', '5:abc', 'x:abc', '99999999999:a'])(
    'refuses %j, which it did not make',
    (key) => {
      expect(parseVisitorKey(key)).toBeUndefined();
    },
  );
});
