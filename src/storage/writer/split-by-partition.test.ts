import { describe, expect, it } from 'vitest';
import { splitByPartition } from './split-by-partition.js';

describe('splitByPartition', () => {
  it('returns a batch within the limit as it is, order kept', () => {
    const lines = ['a', 'b', 'c', 'd'];
    expect(splitByPartition(lines, [1, 2, 1, 3], 3)).toEqual([lines]);
    expect(splitByPartition(lines, undefined, 1)).toEqual([lines]);
    expect(splitByPartition([], [], 1)).toEqual([[]]);
  });

  it('splits by whole partitions, none over the limit, no line lost or repeated', () => {
    const months = [1, 2, 3, 4, 5, 1, 2, 3, 4, 5, 6];
    const lines = months.map((_, i) => i);
    const chunks = splitByPartition(lines, months, 2);
    expect(chunks.map((c) => new Set(c.map((i) => months[i])).size)).toEqual([2, 2, 2]);
    expect(chunks.flat().sort((a, b) => a - b)).toEqual(lines);
    // A partition never spans two chunks.
    const chunkOf = new Map<number, number>();
    chunks.forEach((chunk, k) => {
      for (const i of chunk) {
        const month = months[i] as number;
        expect(chunkOf.get(month) ?? k).toBe(k);
        chunkOf.set(month, k);
      }
    });
  });
});
