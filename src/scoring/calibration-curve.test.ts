import { describe, expect, it } from 'vitest';
import { calibrationCurve } from './calibration-curve.js';

describe('calibrationCurve', () => {
  it('bins by quantile and weighs each bin gap by its share (ECE)', () => {
    const predictions = [0.1, 0.1, 0.2, 0.2, 0.7, 0.8, 0.9, 0.9];
    const labels = [0, 0, 1, 0, 1, 1, 0, 1];
    const curve = calibrationCurve(predictions, labels, { bins: 2 });
    expect(curve.bins.map((b) => [b.lower, b.upper, b.count, b.observedRate])).toEqual([
      [0.1, 0.2, 4, 0.25],
      [0.7, 0.9, 4, 0.75],
    ]);
    expect(curve.bins[0]?.meanPredicted).toBeCloseTo(0.15, 12);
    expect(curve.bins[1]?.meanPredicted).toBeCloseTo(0.825, 12);
    expect(curve.ece).toBeCloseTo(0.5 * 0.1 + 0.5 * 0.075, 12);
  });

  it('bins by width with uniform binning and leaves empty bins out', () => {
    const curve = calibrationCurve([0.05, 0.05, 0.95, 1], [0, 1, 1, 1], {
      bins: 10,
      binning: 'uniform',
    });
    expect(curve.bins.map((b) => [b.count, b.meanPredicted, b.observedRate])).toEqual([
      [2, 0.05, 0.5],
      [2, 0.975, 1],
    ]);
    expect(curve.ece).toBeCloseTo(0.5 * 0.45 + 0.5 * 0.025, 12);
  });

  it('is 0 for perfectly calibrated bins and NaN with no data', () => {
    expect(calibrationCurve([0.5, 0.5], [0, 1], { bins: 1 }).ece).toBe(0);
    expect(calibrationCurve([], []).ece).toBeNaN();
  });
});

describe('calibrationCurve with ties', () => {
  it('keeps a run of equal predictions in one bin, whatever the label order', () => {
    // 4 x 0.2 (half positive) then 4 x 0.6 (half positive): perfectly calibrated... at 0.5? No:
    // each run's observed rate is 0.5, so the gaps are |0.2 - 0.5| and |0.6 - 0.5|.
    const predictions = [0.2, 0.2, 0.2, 0.2, 0.6, 0.6, 0.6, 0.6];
    const labels = [1, 1, 0, 0, 0, 1, 0, 1];
    const curve = calibrationCurve(predictions, labels, { bins: 4 });
    expect(curve.bins.map((b) => [b.count, b.observedRate])).toEqual([
      [4, 0.5],
      [4, 0.5],
    ]);
    expect(curve.ece).toBeCloseTo(0.5 * 0.3 + 0.5 * 0.1, 12);
  });
});
