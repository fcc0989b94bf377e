import { describe, expect, it } from 'vitest';
import { auc } from './auc.js';
import { calibrationCurve } from './calibration-curve.js';
import { logLoss } from './log-loss.js';
import { EMPTY_METRICS, ProgressiveValidation } from './progressive-validation.js';
import { seededRandom } from './random.js';

describe('ProgressiveValidation', () => {
  it('computes window metrics over the most recent pairs only', () => {
    const random = seededRandom(9);
    const validation = new ProgressiveValidation(100);
    const raw: number[] = [];
    const calibrated: number[] = [];
    const labels: (0 | 1)[] = [];
    for (let i = 0; i < 250; i++) {
      const r = random();
      const c = Math.min(0.99, r * 0.9 + 0.05);
      const y = random() < r ? 1 : 0;
      raw.push(r);
      calibrated.push(c);
      labels.push(y);
      validation.record(r, c, y);
    }
    const m = validation.summary();
    const last = (xs: number[]) => xs.slice(-100);
    expect(m.examples).toBe(250);
    expect(m.positives).toBe(labels.filter((y) => y === 1).length);
    expect(m.window).toBe(100);
    expect(m.auc).toBeCloseTo(auc(last(raw), last(labels)), 12);
    expect(m.logLoss).toBeCloseTo(logLoss(last(calibrated), last(labels)), 12);
    expect(m.rawLogLoss).toBeCloseTo(logLoss(last(raw), last(labels)), 12);
    expect(m.ece).toBeCloseTo(calibrationCurve(last(calibrated), last(labels)).ece, 12);
    expect(m.lifetimeLogLoss).toBeCloseTo(logLoss(calibrated, labels), 12);
    expect(m.reliability).toHaveLength(10);
    const { sortedRaw } = validation.evaluate();
    expect(Array.from(sortedRaw.scores)).toEqual(last(raw).sort((a, b) => a - b));
  });

  it('reports empty metrics before any example', () => {
    expect(new ProgressiveValidation(10).summary()).toBe(EMPTY_METRICS);
    expect(() => new ProgressiveValidation(0)).toThrow(RangeError);
  });
});
