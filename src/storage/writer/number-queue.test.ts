import { describe, expect, it } from 'vitest';
import { NumberQueue } from './number-queue.js';

describe('NumberQueue', () => {
  it('keeps FIFO order across growth and compaction', () => {
    const q = new NumberQueue();
    const expected: number[] = [];
    let next = 0;
    const taken: number[] = [];
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 700; i++) {
        q.push(next + 0.5);
        expected.push(next + 0.5);
        next++;
      }
      taken.push(...q.shift(round % 3 === 0 ? 1000 : 300));
      expect(q.length).toBe(expected.length - taken.length);
    }
    taken.push(...q.shift(Number.POSITIVE_INFINITY));
    expect(taken).toEqual(expected);
    expect(q.length).toBe(0);
    expect([...q.shift(5)]).toEqual([]);
  });
});
