import LogisticRegression from 'ml-logistic-regression';
import { Matrix } from 'ml-matrix';
import { fail, ok, type Result } from '../core/index.js';
import { auc } from './auc.js';
import { sigmoid } from './ftrl.js';
import { logLoss } from './log-loss.js';
import { seededRandom } from './random.js';

export interface DenseExample {
  readonly features: readonly number[];
  readonly label: 0 | 1;
}

/** Anything that scores a dense feature vector: a batch model, or a wrapper of the live one. */
export interface DenseScorer {
  predict(features: readonly number[]): number;
}

/** Logistic regression on standardised features: p = sigmoid(w0 + sum w_j (x_j - mean_j) / scale_j). */
export class DenseLogisticModel implements DenseScorer {
  /** Intercept first, then one weight per feature. */
  readonly weights: Float64Array;
  readonly mean: Float64Array;
  readonly scale: Float64Array;

  constructor(weights: Float64Array, mean: Float64Array, scale: Float64Array) {
    if (weights.length !== mean.length + 1 || mean.length !== scale.length) {
      throw new RangeError('weights must be one longer than mean and scale');
    }
    this.weights = weights;
    this.mean = mean;
    this.scale = scale;
  }

  predict(features: readonly number[]): number {
    if (features.length !== this.mean.length) {
      throw new RangeError(`expected ${this.mean.length} features, got ${features.length}`);
    }
    let margin = this.weights[0] as number;
    for (let j = 0; j < features.length; j++) {
      const x = ((features[j] as number) - (this.mean[j] as number)) / (this.scale[j] as number);
      margin += (this.weights[j + 1] as number) * x;
    }
    return sigmoid(margin);
  }
}

export interface RetrainOptions {
  /** The model in service; without one the challenger wins if it can be trained. */
  readonly champion?: DenseScorer;
  /** Share of examples held out for the comparison; default 0.2. */
  readonly holdoutFraction?: number;
  /** Full-batch gradient steps; default 1,000. */
  readonly steps?: number;
  /** Step size on the mean gradient (standardised features); default 1. */
  readonly learningRate?: number;
  /** The challenger must beat the champion's held-out AUC by more than this; default 0. */
  readonly minImprovement?: number;
  /** Seed of the train/hold-out split; default 1. */
  readonly seed?: number;
}

export interface RetrainReport {
  readonly challenger: DenseLogisticModel;
  readonly winner: 'champion' | 'challenger';
  readonly trainSize: number;
  readonly holdoutSize: number;
  readonly challengerAuc: number;
  readonly challengerLogLoss: number;
  /** NaN without a champion. */
  readonly championAuc: number;
  readonly championLogLoss: number;
}

export type RetrainErrorCode = 'too_few_examples' | 'one_class';

/**
 * Batch retraining with champion/challenger: trains a logistic regression (ml-logistic-regression,
 * full-batch gradient ascent) on a random share of the examples and compares it with the
 * champion on the rest by held-out AUC. Meant for offline runs over stored sessions, not for the
 * live path.
 */
export function retrainBatch(
  examples: readonly DenseExample[],
  options: RetrainOptions = {},
): Result<RetrainReport, RetrainErrorCode> {
  const holdoutFraction = options.holdoutFraction ?? 0.2;
  if (!(holdoutFraction > 0 && holdoutFraction < 1)) {
    throw new RangeError(`holdoutFraction must be in (0, 1), got ${holdoutFraction}`);
  }
  const width = examples[0]?.features.length ?? 0;
  if (examples.some((e) => e.features.length !== width)) {
    throw new RangeError('every example needs the same number of features');
  }
  const order = shuffled(examples.length, options.seed ?? 1);
  const holdoutSize = Math.round(examples.length * holdoutFraction);
  const holdout = order.slice(0, holdoutSize).map((i) => examples[i] as DenseExample);
  const train = order.slice(holdoutSize).map((i) => examples[i] as DenseExample);
  if (train.length < 2 || holdout.length < 2) {
    return fail('too_few_examples', `need at least 2 training and 2 held-out examples`);
  }
  for (const [set, what] of [
    [train, 'training'],
    [holdout, 'held-out'],
  ] as const) {
    const positives = set.filter((e) => e.label === 1).length;
    if (positives === 0 || positives === set.length) {
      return fail('one_class', `the ${what} examples hold only one class`);
    }
  }

  const { mean, scale } = standardisation(train, width);
  const rows = train.map((e) => [
    1,
    ...e.features.map((x, j) => (x - (mean[j] as number)) / (scale[j] as number)),
  ]);
  const regression = new LogisticRegression({
    numSteps: options.steps ?? 1_000,
    // The library steps along the summed gradient; dividing by n makes the rate size-free.
    learningRate: (options.learningRate ?? 1) / train.length,
  });
  regression.train(new Matrix(rows), Matrix.columnVector(train.map((e) => e.label)));
  const trained = regression.classifiers[0]?.weights;
  if (trained === null || trained === undefined) {
    throw new Error('ml-logistic-regression returned no weights for class 0');
  }
  const challenger = new DenseLogisticModel(Float64Array.from(trained.to1DArray()), mean, scale);

  const labels = holdout.map((e) => e.label);
  const challengerScores = holdout.map((e) => challenger.predict(e.features));
  const champion = options.champion;
  const championScores =
    champion === undefined ? [] : holdout.map((e) => champion.predict(e.features));
  const challengerAuc = auc(challengerScores, labels);
  const championAuc = champion === undefined ? Number.NaN : auc(championScores, labels);
  const minImprovement = options.minImprovement ?? 0;
  return ok({
    challenger,
    winner:
      champion === undefined || challengerAuc > championAuc + minImprovement
        ? 'challenger'
        : 'champion',
    trainSize: train.length,
    holdoutSize: holdout.length,
    challengerAuc,
    challengerLogLoss: logLoss(challengerScores, labels),
    championAuc,
    championLogLoss: champion === undefined ? Number.NaN : logLoss(championScores, labels),
  });
}

function standardisation(
  examples: readonly DenseExample[],
  width: number,
): { mean: Float64Array; scale: Float64Array } {
  const mean = new Float64Array(width);
  const scale = new Float64Array(width);
  for (const e of examples)
    for (let j = 0; j < width; j++) mean[j] = (mean[j] as number) + (e.features[j] as number);
  for (let j = 0; j < width; j++) mean[j] = (mean[j] as number) / examples.length;
  for (const e of examples) {
    for (let j = 0; j < width; j++) {
      const d = (e.features[j] as number) - (mean[j] as number);
      scale[j] = (scale[j] as number) + d * d;
    }
  }
  for (let j = 0; j < width; j++) {
    const sd = Math.sqrt((scale[j] as number) / examples.length);
    // A constant column carries nothing; scale 1 keeps it at 0 instead of dividing by 0.
    scale[j] = sd > 1e-12 ? sd : 1;
  }
  return { mean, scale };
}

function shuffled(n: number, seed: number): number[] {
  const random = seededRandom(seed);
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = order[i] as number;
    order[i] = order[j] as number;
    order[j] = t;
  }
  return order;
}
