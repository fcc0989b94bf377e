import { describe, expect, it } from 'vitest';
import { IdentityMap } from './identity-map.js';

describe('IdentityMap', () => {
  it('tells new links from known ones, and a re-link to another user is new', () => {
    const map = new IdentityMap(10);
    expect(map.link('shop', 'anon-1', 'u-1')).toBe(true);
    expect(map.link('shop', 'anon-1', 'u-1')).toBe(false);
    expect(map.link('shop', 'anon-1', 'u-2')).toBe(true);
    expect(map.get('shop', 'anon-1')).toBe('u-2');
    // Sites are apart, and NUL-joined keys cannot collide with ids containing the other part.
    expect(map.get('other', 'anon-1')).toBeUndefined();
    expect(map.link('sho', 'p\u0000anon-1', 'u-3')).toBe(true);
    expect(map.get('shop', 'anon-1')).toBe('u-2');
  });

  it('forgets the least recently linked first; lookups do not refresh an entry', () => {
    const map = new IdentityMap(3);
    map.link('s', 'a', 'u-a');
    map.link('s', 'b', 'u-b');
    map.link('s', 'c', 'u-c');
    expect(map.get('s', 'a')).toBe('u-a'); // a lookup: a stays the oldest
    map.link('s', 'b', 'u-b2'); // a re-link: b becomes the newest
    map.link('s', 'd', 'u-d'); // full: a goes
    expect(map.get('s', 'a')).toBeUndefined();
    expect([...map.entries()]).toEqual([
      ['s', 'c', 'u-c'],
      ['s', 'b', 'u-b2'],
      ['s', 'd', 'u-d'],
    ]);
    expect(map.size).toBe(3);
  });

  it('keeps nothing with max 0, and every link counts as new', () => {
    const map = new IdentityMap(0);
    expect(map.link('s', 'a', 'u')).toBe(true);
    expect(map.link('s', 'a', 'u')).toBe(true);
    expect(map.get('s', 'a')).toBeUndefined();
    expect([...map.entries()]).toEqual([]);
  });
});
