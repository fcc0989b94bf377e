import { describe, expect, it } from 'vitest';
import { avalanche, hashLanes, mulberry32 } from '../core/index.js';
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
    // As many ids as the sessionizer benchmark caches: none is turned away for a long run.
    let refused = 0;
    for (let i = 0; i < 300_000; i++) if (!map.set(`user-${i}`, `v${i}`)) refused += 1;
    expect(refused).toBe(0);
    expect(map.size).toBe(300_000);
    let wrong = 0;
    for (let i = 0; i < 300_000; i++) if (map.get(copy(`user-${i}`)) !== `v${i}`) wrong += 1;
    expect(wrong).toBe(0);
    expect(map.get('user-300000')).toBeUndefined();
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

  it('keeps the room its keys needed through a clear, and lets go of room that deletes left', () => {
    const map = new SettledMap<number>(4);
    for (let i = 0; i < 1_000; i++) map.set(`user-${i}`, i);
    expect(map.buckets).toBe(2_048);
    map.clear();
    // The next epoch settles as many keys without growing again.
    expect(map.buckets).toBe(2_048);
    expect(map.size).toBe(0);
    expect(map.get('user-1')).toBeUndefined();
    for (let i = 0; i < 1_000; i++) map.set(`next-${i}`, i);
    expect(map.buckets).toBe(2_048);
    for (let i = 0; i < 1_000; i++) expect(map.get(`next-${i}`)).toBe(i);
    expect(map.get('user-999')).toBeUndefined();
    // 990 deleted: the 10 left need 32 buckets (half full at 16), which is what a clear leaves.
    for (let i = 10; i < 1_000; i++) map.delete(`next-${i}`);
    map.clear();
    expect(map.buckets).toBe(32);
    expect(map.get('next-1')).toBeUndefined();
    map.set('again', 7);
    expect(map.get('again')).toBe(7);
    expect(map.size).toBe(1);
    // Emptied by deletes alone, a grown table goes back to its starting size at the next clear.
    for (let i = 0; i < 1_000; i++) map.set(`burst-${i}`, i);
    for (let i = 0; i < 1_000; i++) map.delete(`burst-${i}`);
    map.delete('again');
    expect(map.size).toBe(0);
    expect(map.buckets).toBe(2_048);
    map.clear();
    expect(map.buckets).toBe(4);
    expect(map.get('burst-1')).toBeUndefined();
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

  it('keeps at most 64 keys that share a home bucket, and still answers the rest right', () => {
    // 1,024 buckets, never grown below 512 keys: keys whose hash gives the same home bucket.
    const homeOf = (key: string): number => avalanche(hashLanes(key, { a: 0, b: 0 }).a) & 1023;
    const flood: string[] = [];
    for (let i = 0; flood.length < 70; i++) {
      if (homeOf(`crafted-${i}`) === 7) flood.push(`crafted-${i}`);
    }
    const map = new SettledMap<number>(1024);
    const kept = flood.map((key, i) => map.set(key, i));
    expect(kept.filter(Boolean)).toHaveLength(64);
    expect(kept.slice(0, 64).every(Boolean)).toBe(true);
    expect(map.size).toBe(64);
    flood.forEach((key, i) => expect(map.get(key)).toBe(i < 64 ? i : undefined));
    // A key turned away is not half kept: set again, it is refused again; delete finds nothing.
    expect(map.set(flood[65] ?? '', 99)).toBe(false);
    expect(map.delete(flood[65] ?? '')).toBe(false);
    // Other keys are kept and found as usual.
    expect(map.set('someone-else', -1)).toBe(true);
    expect(map.get('someone-else')).toBe(-1);
    // A delete frees a bucket of the run for the next one.
    expect(map.delete(flood[3] ?? '')).toBe(true);
    expect(map.set(flood[65] ?? '', 65)).toBe(true);
    expect(map.get(flood[65] ?? '')).toBe(65);
    expect(map.get(flood[3] ?? '')).toBeUndefined();
    flood.slice(0, 64).forEach((key, i) => {
      if (i !== 3) expect(map.get(key)).toBe(i);
    });
  });
});
