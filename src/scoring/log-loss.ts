/** Probabilities are clipped here so a confident mistake costs ~34.5 nats, not infinity. */
const EPSILON = 1e-15;

/** Log-loss (binary cross-entropy) of one prediction, natural log. */
export function exampleLogLoss(p: number, label: number): number {
  const q = p < EPSILON ? EPSILON : p > 1 - EPSILON ? 1 - EPSILON : p;
  return label > 0 ? -Math.log(q) : -Math.log(1 - q);
}

/** Mean log-loss over paired predictions and 0/1 labels; NaN when empty. */
export function logLoss(predictions: ArrayLike<number>, labels: ArrayLike<number>): number {
  if (predictions.length !== labels.length) {
    throw new RangeError('predictions and labels differ in length');
  }
  if (predictions.length === 0) return Number.NaN;
  let sum = 0;
  for (let i = 0; i < predictions.length; i++) {
    sum += exampleLogLoss(predictions[i] as number, labels[i] as number);
  }
  return sum / predictions.length;
}
