import { describe, expect, it } from 'vitest';
import { calibrationCurve } from './calibration-curve.js';
import { IsotonicCalibrator, fitIsotonic } from './isotonic.js';
import { seededRandom } from './random.js';

describe('fitIsotonic (pool adjacent violators)', () => {
  it('pools violators as worked out by hand', () => {
    // Blocks: {1}=1, {2}=0 violates -> {1,2}=.5; {3}=0 violates -> {1,2,3}=1/3 at x=2;
    // {4}=1; {5}=0 violates -> {4,5}=.5 at x=4.5; {6}=1.
    const calibrator = fitIsotonic([1, 2, 3, 4, 5, 6], [1, 0, 0, 1, 0, 1]);
    expect(Array.from(calibrator.x)).toEqual([2, 4.5, 6]);
    expect(calibrator.y[0]).toBeCloseTo(1 / 3, 15);
    expect(Array.from(calibrator.y.slice(1))).toEqual([0.5, 1]);
    // Linear between knots, flat beyond the ends, kept off 0 and 1.
    expect(calibrator.calibrate(3)).toBeCloseTo(1 / 3 + (0.5 - 1 / 3) * (1 / 2.5), 12);
    expect(calibrator.calibrate(0)).toBeCloseTo(1 / 3, 15);
    expect(calibrator.calibrate(10)).toBe(1 - 1e-4);
  });

  it('gives tied scores one value and ignores input order', () => {
    const a = fitIsotonic([0.3, 0.3, 0.1, 0.9], [1, 0, 0, 1]);
    expect(Array.from(a.x)).toEqual([0.1, 0.3, 0.9]);
    expect(Array.from(a.y)).toEqual([0, 0.5, 1]);
    const b = fitIsotonic([0.9, 0.3, 0.1, 0.3], [1, 0, 0, 1]);
    expect(b).toEqual(a);
  });

  it('is non-decreasing on random data and the identity without knots', () => {
    const random = seededRandom(7);
    const scores = Array.from({ length: 500 }, () => random());
    const labels = scores.map((s) => (random() < s ? 1 : 0));
    const calibrator = fitIsotonic(scores, labels);
    for (let k = 1; k < calibrator.knots; k++) {
      expect(calibrator.x[k]).toBeGreaterThan(calibrator.x[k - 1] as number);
      expect(calibrator.y[k]).toBeGreaterThanOrEqual(calibrator.y[k - 1] as number);
    }
    expect(IsotonicCalibrator.identity().calibrate(0.37)).toBe(0.37);
  });

  it('brings the ECE of miscalibrated scores below 0.02 on fresh data', () => {
    const random = seededRandom(11);
    // True probabilities mostly low (like conversion rates); the model's scores are distorted
    // (over-confident and shifted up): raw = sigmoid(2 * logit(p) + 1).
    const draw = (n: number): { raw: number[]; labels: number[] } => {
      const raw: number[] = [];
      const labels: number[] = [];
      for (let i = 0; i < n; i++) {
        const p = random() ** 2;
        const logit = Math.log(p / (1 - p));
        raw.push(1 / (1 + Math.exp(-(2 * logit + 1))));
        labels.push(random() < p ? 1 : 0);
      }
      return { raw, labels };
    };
    const fit = draw(20_000);
    const test = draw(50_000);
    const before = calibrationCurve(test.raw, test.labels).ece;
    const calibrator = fitIsotonic(fit.raw, fit.labels);
    const after = calibrationCurve(
      test.raw.map((r) => calibrator.calibrate(r)),
      test.labels,
    ).ece;
    expect(before).toBeGreaterThan(0.05);
    expect(after).toBeLessThan(0.02);
  });
});
