import { describe, expect, it } from 'vitest';
import { isoTime } from './iso-time.js';
import { Random } from './prng.js';

describe('isoTime', () => {
  it('equals Date#toISOString', () => {
    const random = new Random(11);
    const edges = [
      0,
      1,
      999,
      1000,
      86_399_999,
      86_400_000,
      Date.UTC(2024, 1, 29, 23, 59, 59, 999),
      Date.UTC(1999, 11, 31),
    ];
    const times = [
      ...edges,
      ...Array.from({ length: 20_000 }, () =>
        Math.floor(random.uniform(Date.UTC(1990, 0, 1), Date.UTC(2100, 0, 1))),
      ),
    ];
    expect(times.map(isoTime)).toEqual(times.map((ms) => new Date(ms).toISOString()));
  });
});
