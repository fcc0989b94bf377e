import { describe, expect, it } from 'vitest';
import { keyHash } from './hash.js';
import { KeyTable } from './key-table.js';
import { prng } from './test-support.js';

/** A KeySource over plain columns the test writes. */
function columns(capacity: number) {
  const sites = new Int32Array(capacity);
  const visitors = new Array<string>(capacity).fill('');
  const hashes = new Uint32Array(capacity);
  return {
    sites,
    visitors,
    hashes,
    site: (slot: number) => sites[slot] ?? 0,
    visitorOf: (slot: number) => visitors[slot] ?? '',
    hash: (slot: number) => hashes[slot] ?? 0,
  };
}

describe('KeyTable', () => {
  it('reads ahead the bucket a key probes first: its slot, or -1 while it is empty', () => {
    const source = columns(4);
    const table = new KeyTable(source);
    const hash = keyHash('visitor-a', 1);
    expect(table.firstBucket(hash)).toBe(-1);
    source.sites[2] = 1;
    source.visitors[2] = 'visitor-a';
    source.hashes[2] = hash;
    table.insert(2, hash);
    expect(table.firstBucket(hash)).toBe(2);
    expect(table.firstBucket(hash + 1)).toBe(-1);
  });

  it('agrees with a Map under random inserts, head changes and removals', () => {
    const random = prng(3);
    const capacity = 20_000;
    const source = columns(capacity);
    const table = new KeyTable(source);
    const model = new Map<string, number>();
    const free = Array.from({ length: capacity }, (_, i) => capacity - 1 - i);
    const keyOf = (site: number, visitor: string) => `${site}|${visitor}`;
    let mismatches = 0;
    for (let step = 0; step < 30_000; step++) {
      const site = 1 + Math.floor(random() * 3);
      // Few distinct visitors, so keys come back after they were removed.
      const visitor = `visitor-${Math.floor(random() * 5_000)}`;
      const key = keyOf(site, visitor);
      const held = model.get(key);
      const hash = keyHash(visitor, site);
      if (table.find(site, visitor, hash) !== (held ?? -1)) mismatches += 1;
      if (held === undefined) {
        const slot = free.pop() ?? -1;
        source.sites[slot] = site;
        source.visitors[slot] = visitor;
        source.hashes[slot] = hash;
        table.insert(slot, hash);
        model.set(key, slot);
      } else if (random() < 0.3) {
        const slot = free.pop() ?? -1;
        source.sites[slot] = site;
        source.visitors[slot] = visitor;
        source.hashes[slot] = hash;
        table.replace(held, slot, hash);
        free.push(held);
        model.set(key, slot);
      } else {
        table.remove(held, hash);
        free.push(held);
        model.delete(key);
      }
      if (table.size !== model.size) mismatches += 1;
    }
    expect(mismatches).toBe(0);
    expect([...table.slots()].sort((a, b) => a - b)).toEqual(
      [...model.values()].sort((a, b) => a - b),
    );
    for (const [key, slot] of model) {
      const [site, visitor] = key.split('|');
      expect(table.find(Number(site), visitor ?? '', keyHash(visitor ?? '', Number(site)))).toBe(
        slot,
      );
    }
    expect(table.find(9, 'visitor-1', keyHash('visitor-1', 9))).toBe(-1);
  });

  it('throws on a slot that is not a head (a programmer error)', () => {
    const source = columns(4);
    ['a', 'b', 'c', 'd'].forEach((v, i) => {
      source.visitors[i] = v;
      source.hashes[i] = keyHash(v, 0);
    });
    const table = new KeyTable(source);
    table.insert(0, keyHash('a', 0));
    expect(() => table.remove(1, keyHash('b', 0))).toThrow(RangeError);
  });
});
