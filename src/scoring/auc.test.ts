import { describe, expect, it } from 'vitest';
import { auc } from './auc.js';
import { seededRandom } from './random.js';

/** Every positive-negative pair: 1 if the positive scores higher, 0.5 on a tie. */
function bruteForceAuc(scores: readonly number[], labels: readonly number[]): number {
  let sum = 0;
  let pairs = 0;
  for (let i = 0; i < scores.length; i++) {
    if (labels[i] !== 1) continue;
    for (let j = 0; j < scores.length; j++) {
      if (labels[j] !== 0) continue;
      const a = scores[i] as number;
      const b = scores[j] as number;
      sum += a > b ? 1 : a === b ? 0.5 : 0;
      pairs++;
    }
  }
  return pairs === 0 ? Number.NaN : sum / pairs;
}

describe('auc', () => {
  it('is 1 for a perfect ranking, 0 for a reversed one, 0.5 for all ties', () => {
    expect(auc([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1])).toBe(1);
    expect(auc([0.9, 0.8, 0.2, 0.1], [0, 0, 1, 1])).toBe(0);
    expect(auc([0.5, 0.5, 0.5], [1, 0, 1])).toBe(0.5);
  });

  it('is NaN when a class is missing', () => {
    expect(auc([0.1, 0.2], [1, 1])).toBeNaN();
    expect(auc([0.1, 0.2], [0, 0])).toBeNaN();
    expect(auc([], [])).toBeNaN();
  });

  it.each([
    [5, 1],
    [50, 2],
    [400, 3],
    [1000, 4],
  ])(
    'equals the brute-force pairwise AUC on %i random examples (seed %i), ties included',
    (n, seed) => {
      const random = seededRandom(seed);
      const scores: number[] = [];
      const labels: number[] = [];
      for (let i = 0; i < n; i++) {
        // Scores on a coarse grid make many ties; labels depend on scores so AUC is not 0.5.
        const s = Math.round(random() * 20) / 20;
        scores.push(s);
        labels.push(random() < 0.2 + 0.6 * s ? 1 : 0);
      }
      labels[0] = 1;
      labels[1] = 0;
      expect(auc(scores, labels)).toBeCloseTo(bruteForceAuc(scores, labels), 12);
    },
  );

  it('refuses arrays of different lengths', () => {
    expect(() => auc([0.1], [1, 0])).toThrow(RangeError);
  });
});
