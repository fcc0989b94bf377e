import { describe, expect, it } from 'vitest';
import { Random, cumulative } from './prng.js';

describe('Random', () => {
  it('repeats its sequence for the same seed and stream', () => {
    const a = new Random(42);
    const b = new Random(42);
    const first = Array.from({ length: 1000 }, () => a.uint32());
    expect(Array.from({ length: 1000 }, () => b.uint32())).toEqual(first);
  });

  it.each([
    ['another seed', new Random(43), new Random(42)],
    ['another stream', new Random(42, 1), new Random(42, 0)],
    ['a seed above 2^32 that shares the low bits', new Random(2 ** 32 + 42), new Random(42)],
  ])('differs for %s', (_, x, y) => {
    const xs = Array.from({ length: 64 }, () => x.uint32());
    const ys = Array.from({ length: 64 }, () => y.uint32());
    const same = xs.filter((v, i) => v === ys[i]).length;
    expect(same).toBeLessThan(2);
  });

  it('rejects seeds that are not safe integers', () => {
    expect(() => new Random(1.5)).toThrow(RangeError);
    expect(() => new Random(Number.NaN)).toThrow(RangeError);
  });

  it('draws uniform numbers in [0, 1) with the right mean and variance', () => {
    const random = new Random(7);
    const n = 200_000;
    let sum = 0;
    let squares = 0;
    let min = 1;
    let max = 0;
    for (let i = 0; i < n; i++) {
      const x = random.next();
      sum += x;
      squares += x * x;
      min = Math.min(min, x);
      max = Math.max(max, x);
    }
    const mean = sum / n;
    // Standard error of the mean of U(0,1) is sqrt(1/12 / n).
    expect(Math.abs(mean - 0.5)).toBeLessThan(4 * Math.sqrt(1 / 12 / n));
    expect(squares / n - mean * mean).toBeCloseTo(1 / 12, 2);
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThan(1);
  });

  it('draws normals with mean 0 and variance 1', () => {
    const random = new Random(9);
    const n = 100_000;
    let sum = 0;
    let squares = 0;
    for (let i = 0; i < n; i++) {
      const z = random.normal();
      sum += z;
      squares += z * z;
    }
    expect(Math.abs(sum / n)).toBeLessThan(4 / Math.sqrt(n));
    expect(squares / n).toBeCloseTo(1, 1);
  });

  it('never picks a zero-weight index and follows the weights', () => {
    const random = new Random(3);
    const weights = cumulative([0.2, 0, 0.8, 0]);
    const counts = [0, 0, 0, 0];
    const n = 50_000;
    for (let i = 0; i < n; i++) {
      const k = random.weighted(weights);
      counts[k] = (counts[k] ?? 0) + 1;
    }
    expect(counts[1]).toBe(0);
    expect(counts[3]).toBe(0);
    const p = 0.2;
    expect(Math.abs((counts[0] ?? 0) / n - p)).toBeLessThan(4 * Math.sqrt((p * (1 - p)) / n));
  });

  it('makes version-4 UUIDs', () => {
    const random = new Random(5);
    const ids = new Set<string>();
    for (let i = 0; i < 10_000; i++) {
      const id = random.uuid();
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      ids.add(id);
    }
    expect(ids.size).toBe(10_000);
  });

  it('makes hex strings of the asked length', () => {
    const random = new Random(5);
    for (const n of [1, 7, 8, 12, 33])
      expect(random.hex(n)).toMatch(new RegExp(`^[0-9a-f]{${n}}$`));
  });
});
