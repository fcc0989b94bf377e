import { sortByScore, type SortedPairs } from './sort-order.js';

/**
 * Calibrated outputs stay inside [MIN, 1 - MIN]: an isotonic fit gives exact 0 or 1 at the ends
 * of the score range from a handful of examples, and a website should never be told "certain".
 */
const MIN_PROBABILITY = 1e-4;

/**
 * A monotone map from raw model scores to calibrated probabilities: knots (x ascending, y
 * non-decreasing), linear between knots, flat beyond the ends (as scikit-learn's
 * IsotonicRegression predicts). With no knots it is the identity.
 */
export class IsotonicCalibrator {
  readonly x: Float64Array;
  readonly y: Float64Array;

  constructor(x: Float64Array, y: Float64Array) {
    if (x.length !== y.length) throw new RangeError('knot arrays differ in length');
    this.x = x;
    this.y = y;
  }

  static identity(): IsotonicCalibrator {
    return new IsotonicCalibrator(new Float64Array(0), new Float64Array(0));
  }

  get knots(): number {
    return this.x.length;
  }

  calibrate(raw: number): number {
    const x = this.x;
    const y = this.y;
    const n = x.length;
    let p: number;
    if (n === 0) p = raw;
    else if (!(raw > (x[0] as number))) p = y[0] as number;
    else if (raw >= (x[n - 1] as number)) p = y[n - 1] as number;
    else {
      // x[lo] < raw <= x[hi]
      let lo = 0;
      let hi = n - 1;
      while (hi - lo > 1) {
        const mid = (lo + hi) >>> 1;
        if ((x[mid] as number) < raw) lo = mid;
        else hi = mid;
      }
      const x0 = x[lo] as number;
      const x1 = x[hi] as number;
      const y0 = y[lo] as number;
      p = y0 + (((y[hi] as number) - y0) * (raw - x0)) / (x1 - x0);
    }
    return p < MIN_PROBABILITY
      ? MIN_PROBABILITY
      : p > 1 - MIN_PROBABILITY
        ? 1 - MIN_PROBABILITY
        : p;
  }
}

/**
 * Isotonic regression of 0/1 labels on scores by pool-adjacent-violators (Ayer et al. 1955;
 * Zadrozny and Elkan 2002 for calibration): sort by score, start with one block per distinct
 * score (ties must map to one value), and merge a block into its predecessor while the
 * predecessor's mean label is higher. Each final block is a knot at (mean score, mean label).
 * O(n log n) for the sort, O(n) amortised for the merging.
 */
export function fitIsotonic(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
): IsotonicCalibrator {
  return fitIsotonicSorted(sortByScore(scores, labels));
}

export function fitIsotonicSorted(sorted: SortedPairs): IsotonicCalibrator {
  const { scores, labels } = sorted;
  const n = scores.length;
  const sumX = new Float64Array(n);
  const sumY = new Float64Array(n);
  const weight = new Float64Array(n);
  let blocks = 0;
  let k = 0;
  while (k < n) {
    const score = scores[k] as number;
    let sx = 0;
    let sy = 0;
    let w = 0;
    while (k < n && scores[k] === score) {
      sx += score;
      sy += (labels[k] as number) > 0 ? 1 : 0;
      w++;
      k++;
    }
    // Merge backwards while the previous block's mean exceeds this one's (a violation).
    while (blocks > 0 && (sumY[blocks - 1] as number) * w > sy * (weight[blocks - 1] as number)) {
      blocks--;
      sx += sumX[blocks] as number;
      sy += sumY[blocks] as number;
      w += weight[blocks] as number;
    }
    sumX[blocks] = sx;
    sumY[blocks] = sy;
    weight[blocks] = w;
    blocks++;
  }
  const x = new Float64Array(blocks);
  const y = new Float64Array(blocks);
  for (let b = 0; b < blocks; b++) {
    x[b] = (sumX[b] as number) / (weight[b] as number);
    y[b] = (sumY[b] as number) / (weight[b] as number);
  }
  return new IsotonicCalibrator(x, y);
}
