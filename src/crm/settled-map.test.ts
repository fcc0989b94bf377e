import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../core/index.js';
import { SettledMap } from './settled-map.js';

/** An equal string that is another object (what JSON.parse hands over for the same id). */
const copy = (text: string): string => Buffer.from(text, 'latin1').toString('latin1');

describe('SettledMap', () => {
  it('agrees with a Map over random sets, deletes and clears in a small, crowded table', () => {
    const random = mulberry32(11);
    for (const minBuckets of [4, 64]) {
      const map = new SettledMap<number>(minBuckets);
      const model = new Map<string, number>();
      for (let step = 0; step < 50_000; step++) {
        const key = `user-${Math.floor(random() * 300)}`;
        const roll = random();
        if (roll < 0.45) {
          map.set(key, step);
          model.set(key, step);
        } else if (roll < 0.8) {
          expect(map.delete(copy(key))).toBe(model.delete(key));
        } else if (roll < 0.9999) {
          expect(map.get(copy(key))).toBe(model.get(key));
        } else {
          map.clear();
          model.clear();
        }
        expect(map.size).toBe(model.size);
      }
      for (let i = 0; i < 300; i++) expect(map.get(`user-${i}`)).toBe(model.get(`user-${i}`));
    }
  });

  it('keeps every entry through growth, and finds none that was not set', () => {
    const map = new SettledMap<string>(4);
    for (let i = 0; i < 10_000; i++) map.set(`id-${i}`, `v${i}`);
    expect(map.size).toBe(10_000);
    for (let i = 0; i < 10_000; i++) expect(map.get(copy(`id-${i}`))).toBe(`v${i}`);
    expect(map.get('id-10000')).toBeUndefined();
    expect(map.get('')).toBeUndefined();
  });

  it('replaces the value of a key set again, and answers nothing after clear', () => {
    const map = new SettledMap<number>();
    map.set('a', 1);
    map.set(copy('a'), 2);
    expect(map.size).toBe(1);
    expect(map.get('a')).toBe(2);
    expect(map.delete('b')).toBe(false);
    map.clear();
    expect(map.size).toBe(0);
    expect(map.get('a')).toBeUndefined();
    expect(map.delete('a')).toBe(false);
    map.set('a', 3);
    expect(map.get('a')).toBe(3);
  });

  it('holds keys that are not one-byte strings', () => {
    const map = new SettledMap<number>(4);
    const keys = ['ü', '用户-1', '😀', 'a\u0000b', 'x'.repeat(1000)];
    keys.forEach((key, i) => map.set(key, i));
    keys.forEach((key, i) => expect(map.get(key)).toBe(i));
    expect(map.get('a\u0000c')).toBeUndefined();
  });

  it('refuses a starting size that is not a power of two', () => {
    expect(() => new SettledMap(3)).toThrow(RangeError);
    expect(() => new SettledMap(0)).toThrow(/power of two/);
  });
});
