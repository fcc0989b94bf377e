import { aucOfSorted } from './auc.js';
import { calibrationCurveOfSorted, type ReliabilityBin } from './calibration-curve.js';
import { exampleLogLoss, logLoss } from './log-loss.js';
import { sortByScore, type SortedPairs } from './sort-order.js';

/** How well the online model did on examples it had not yet learnt from. */
export interface ModelMetrics {
  /** Examples scored before training, since the start. */
  readonly examples: number;
  readonly positives: number;
  /** Mean log-loss of the calibrated predictions since the start. */
  readonly lifetimeLogLoss: number;
  /** Examples in the recent window the figures below are computed on. */
  readonly window: number;
  /** Exact ROC AUC of the raw scores over the window; NaN while one class is missing. */
  readonly auc: number;
  /** Log-loss of the calibrated predictions (what a website gets) over the window. */
  readonly logLoss: number;
  /** Log-loss of the raw FTRL scores over the window, to see what calibration bought. */
  readonly rawLogLoss: number;
  /** Expected calibration error of the calibrated predictions, decile bins, over the window. */
  readonly ece: number;
  readonly rawEce: number;
  /** Reliability curve of the calibrated predictions: mean predicted vs observed, per decile. */
  readonly reliability: readonly ReliabilityBin[];
}

export const EMPTY_METRICS: ModelMetrics = {
  examples: 0,
  positives: 0,
  lifetimeLogLoss: Number.NaN,
  window: 0,
  auc: Number.NaN,
  logLoss: Number.NaN,
  rawLogLoss: Number.NaN,
  ece: Number.NaN,
  rawEce: Number.NaN,
  reliability: [],
};

/**
 * Progressive validation (Blum, Kalai and Langford 1999; McMahan et al. 2013 section 5.1): each
 * example is scored before the model learns from it, so every prediction is out-of-sample and
 * no hold-out set is wasted. The calibrated prediction is the one the calibrator of that moment
 * gave, so calibration is judged out-of-sample too.
 *
 * AUC, log-loss and ECE are exact over a bounded window of the most recent pairs (a ring
 * buffer, 17 bytes a pair), computed on request (one sort, O(w log w)): a window follows drift,
 * costs nothing per example beyond three stores, and needs no binning approximation.
 */
export class ProgressiveValidation {
  readonly capacity: number;
  private readonly raw: Float64Array;
  private readonly calibrated: Float64Array;
  private readonly labels: Uint8Array;
  private next = 0;
  private size = 0;
  private total = 0;
  private positives = 0;
  private lossSum = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`window capacity must be a positive integer, got ${capacity}`);
    }
    this.capacity = capacity;
    this.raw = new Float64Array(capacity);
    this.calibrated = new Float64Array(capacity);
    this.labels = new Uint8Array(capacity);
  }

  get count(): number {
    return this.total;
  }

  record(raw: number, calibrated: number, label: 0 | 1): void {
    this.raw[this.next] = raw;
    this.calibrated[this.next] = calibrated;
    this.labels[this.next] = label;
    this.next = (this.next + 1) % this.capacity;
    if (this.size < this.capacity) this.size++;
    this.total++;
    this.positives += label;
    this.lossSum += exampleLogLoss(calibrated, label);
  }

  summary(bins = 10): ModelMetrics {
    return this.evaluate(bins).metrics;
  }

  /**
   * The metrics, and the window's raw (score, label) pairs sorted by score, which is what an
   * isotonic calibrator is fitted on: one sort serves both.
   */
  evaluate(bins = 10): { readonly metrics: ModelMetrics; readonly sortedRaw: SortedPairs } {
    const labels = this.labels.subarray(0, this.size);
    const sortedRaw = sortByScore(this.raw.subarray(0, this.size), labels);
    if (this.size === 0) return { metrics: EMPTY_METRICS, sortedRaw };
    const calibrated = this.calibrated.subarray(0, this.size);
    const curve = calibrationCurveOfSorted(sortByScore(calibrated, labels), bins);
    const metrics: ModelMetrics = {
      examples: this.total,
      positives: this.positives,
      lifetimeLogLoss: this.lossSum / this.total,
      window: this.size,
      auc: aucOfSorted(sortedRaw),
      logLoss: logLoss(calibrated, labels),
      rawLogLoss: logLoss(sortedRaw.scores, sortedRaw.labels),
      ece: curve.ece,
      rawEce: calibrationCurveOfSorted(sortedRaw, bins).ece,
      reliability: curve.bins,
    };
    return { metrics, sortedRaw };
  }
}
