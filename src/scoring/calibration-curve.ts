import { sortByScore, type SortedPairs } from './sort-order.js';

export interface ReliabilityBin {
  /** Lowest and highest prediction in the bin. */
  readonly lower: number;
  readonly upper: number;
  readonly count: number;
  readonly meanPredicted: number;
  /** Share of positives among the bin's examples. */
  readonly observedRate: number;
}

export interface CalibrationCurve {
  readonly bins: readonly ReliabilityBin[];
  /** Expected calibration error: sum over bins of (count / total) |meanPredicted - observedRate|. */
  readonly ece: number;
}

export interface CalibrationCurveOptions {
  /** Default 10. */
  readonly bins?: number;
  /**
   * `quantile` (default): equal-count bins over the sorted predictions (deciles for 10), so
   * every bin has data even when conversion rates are small and all scores sit below 0.1.
   * Equal predictions share a bin, so with many ties bins differ in size.
   * `uniform`: equal-width bins over [0, 1], the classic reliability diagram (empty bins left out).
   */
  readonly binning?: 'quantile' | 'uniform';
}

/** Reliability bins and ECE (Naeini et al. 2015; equal-count binning as in Nixon et al. 2019). */
export function calibrationCurve(
  predictions: ArrayLike<number>,
  labels: ArrayLike<number>,
  options: CalibrationCurveOptions = {},
): CalibrationCurve {
  return (options.binning ?? 'quantile') === 'quantile'
    ? curveOf(sortByScore(predictions, labels), options.bins ?? 10, true)
    : curveOf(
        { scores: Float64Array.from(predictions), labels: Uint8Array.from(labels) },
        options.bins ?? 10,
        false,
      );
}

/** The quantile-binned curve of pairs already sorted by prediction. */
export function calibrationCurveOfSorted(sorted: SortedPairs, bins = 10): CalibrationCurve {
  return curveOf(sorted, bins, true);
}

function curveOf(pairs: SortedPairs, binCount: number, quantile: boolean): CalibrationCurve {
  const predictions = pairs.scores;
  const labels = pairs.labels;
  if (!Number.isInteger(binCount) || binCount < 1)
    throw new RangeError(`bad bin count ${binCount}`);
  if (predictions.length !== labels.length) {
    throw new RangeError('predictions and labels differ in length');
  }
  const total = predictions.length;
  if (total === 0) return { bins: [], ece: Number.NaN };
  const count = new Float64Array(binCount);
  const sumP = new Float64Array(binCount);
  const sumY = new Float64Array(binCount);
  const lower = new Float64Array(binCount).fill(Number.POSITIVE_INFINITY);
  const upper = new Float64Array(binCount).fill(Number.NEGATIVE_INFINITY);
  const add = (bin: number, i: number): void => {
    const p = predictions[i] as number;
    count[bin] = (count[bin] as number) + 1;
    sumP[bin] = (sumP[bin] as number) + p;
    sumY[bin] = (sumY[bin] as number) + ((labels[i] as number) > 0 ? 1 : 0);
    if (p < (lower[bin] as number)) lower[bin] = p;
    if (p > (upper[bin] as number)) upper[bin] = p;
  };
  if (quantile) {
    // TRICKY: a run of equal predictions goes into one bin whole (by its middle rank). Splitting
    // it at a bin edge would split it by label order, not at random, and bias both bins.
    let start = 0;
    while (start < total) {
      let end = start + 1;
      while (end < total && predictions[end] === predictions[start]) end++;
      const bin = Math.min(binCount - 1, Math.floor((((start + end - 1) / 2) * binCount) / total));
      for (let i = start; i < end; i++) add(bin, i);
      start = end;
    }
  } else {
    for (let i = 0; i < total; i++) {
      const bin = Math.floor((predictions[i] as number) * binCount);
      add(Math.min(binCount - 1, Math.max(0, bin)), i);
    }
  }
  const bins: ReliabilityBin[] = [];
  let ece = 0;
  for (let b = 0; b < binCount; b++) {
    const c = count[b] as number;
    if (c === 0) continue;
    const meanPredicted = (sumP[b] as number) / c;
    const observedRate = (sumY[b] as number) / c;
    bins.push({
      lower: lower[b] as number,
      upper: upper[b] as number,
      count: c,
      meanPredicted,
      observedRate,
    });
    ece += (c / total) * Math.abs(meanPredicted - observedRate);
  }
  return { bins, ece };
}
