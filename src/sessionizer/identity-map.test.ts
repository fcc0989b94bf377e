import { describe, expect, it } from 'vitest';
import { hashVisitor } from './hash.js';
import { IdentityMap } from './identity-map.js';
import { prng } from './test-support.js';

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

  it('keeps one id on several sites apart, through evictions', () => {
    const map = new IdentityMap(3);
    map.link('a', 'x', 'u-a');
    map.link('b', 'x', 'u-b');
    map.link('c', 'y', 'u-c');
    map.link('c', 'z', 'u-z'); // full: ('a', 'x') goes, ('b', 'x') stays
    expect(map.get('a', 'x')).toBeUndefined();
    expect(map.get('b', 'x')).toBe('u-b');
    expect(map.get('never-seen', 'x')).toBeUndefined();
    // A caller's hash of the id finds the same entries.
    expect(map.get('b', 'x', hashVisitor('x', { a: 0, b: 0 }))).toBe('u-b');
    expect(map.link('b', 'x', 'u-b', hashVisitor('x', { a: 0, b: 0 }))).toBe(false);
  });

  it('agrees with a reference LRU of links under random links and lookups', () => {
    const random = prng(5);
    const max = 50;
    const map = new IdentityMap(max);
    // Insertion order of a Map is the link order: re-linking deletes and re-inserts.
    const model = new Map<string, string>();
    let mismatches = 0;
    for (let step = 0; step < 20_000; step++) {
      const site = `s${Math.floor(random() * 2)}`;
      const id = `anon-${Math.floor(random() * 120)}`;
      const key = `${site}|${id}`;
      if (random() < 0.5) {
        if (map.get(site, id) !== model.get(key)) mismatches += 1;
        continue;
      }
      const user = `user-${Math.floor(random() * 3)}`;
      const isNew = model.get(key) !== user;
      if (map.link(site, id, user) !== isNew) mismatches += 1;
      if (isNew) {
        model.delete(key);
        model.set(key, user);
        if (model.size > max) model.delete(model.keys().next().value ?? '');
      }
    }
    expect(mismatches).toBe(0);
    expect(map.size).toBe(model.size);
    expect([...map.entries()].map(([site, id, user]) => `${site}|${id}=${user}`)).toEqual(
      [...model].map(([key, user]) => `${key}=${user}`),
    );
  });
});
