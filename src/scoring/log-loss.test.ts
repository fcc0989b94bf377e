import { describe, expect, it } from 'vitest';
import { exampleLogLoss, logLoss } from './log-loss.js';

describe('logLoss', () => {
  it('averages the cross-entropy of each prediction', () => {
    const expected = -(Math.log(0.8) + Math.log(1 - 0.3) + Math.log(0.6)) / 3;
    expect(logLoss([0.8, 0.3, 0.6], [1, 0, 1])).toBeCloseTo(expected, 14);
    expect(logLoss([0.5], [0])).toBeCloseTo(Math.LN2, 14);
  });

  it('clips certain mistakes to a finite cost', () => {
    expect(exampleLogLoss(0, 1)).toBeCloseTo(-Math.log(1e-15), 10);
    expect(exampleLogLoss(1, 0)).toBeGreaterThan(30);
    expect(Number.isFinite(exampleLogLoss(1, 0))).toBe(true);
    expect(exampleLogLoss(1, 1)).toBeCloseTo(0, 12);
  });

  it('is NaN when empty and refuses mismatched arrays', () => {
    expect(logLoss([], [])).toBeNaN();
    expect(() => logLoss([0.5], [])).toThrow(RangeError);
  });
});
