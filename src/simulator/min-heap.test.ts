import { describe, expect, it } from 'vitest';
import { MinHeap } from './min-heap.js';
import { Random } from './prng.js';

describe('MinHeap', () => {
  it('pops in key order, equal keys in insertion order', () => {
    const random = new Random(1);
    const heap = new MinHeap<{ key: number; order: number }>();
    const items = Array.from({ length: 5000 }, (_, order) => ({ key: random.int(100), order }));
    for (const item of items) heap.push(item.key, item);
    const out: { key: number; order: number }[] = [];
    for (let item = heap.pop(); item !== undefined; item = heap.pop()) out.push(item);
    expect(out).toEqual([...items].sort((a, b) => a.key - b.key || a.order - b.order));
    expect(heap.size).toBe(0);
    expect(heap.peekKey()).toBe(Number.POSITIVE_INFINITY);
  });
});
