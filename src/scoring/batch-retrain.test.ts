import { describe, expect, it } from 'vitest';
import { DenseLogisticModel, retrainBatch, type DenseExample } from './batch-retrain.js';
import { denseFeatureNames, denseFeatures } from './dense-features.js';
import { sigmoid } from './ftrl.js';
import { seededRandom } from './random.js';
import { SessionBuilder } from './testing/session-builder.js';

/** Labels drawn from a known logistic model on three features (one of them pure noise). */
function examples(
  n: number,
  seed: number,
): { data: DenseExample[]; truth: (x: readonly number[]) => number } {
  const random = seededRandom(seed);
  const truth = (x: readonly number[]): number =>
    sigmoid(-1 + 2.5 * (x[0] as number) - 1.5 * (x[1] as number));
  const data: DenseExample[] = [];
  for (let i = 0; i < n; i++) {
    const x = [random(), random() * 2, random() * 10];
    data.push({ features: x, label: random() < truth(x) ? 1 : 0 });
  }
  return { data, truth };
}

describe('retrainBatch', () => {
  it('trains a challenger close to the truth and prefers it to a weak champion', () => {
    const { data, truth } = examples(3000, 1);
    const weak = { predict: (x: readonly number[]) => sigmoid(x[2] as number) };
    const result = retrainBatch(data, { champion: weak, steps: 300 });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const report = result.value;
    expect(report.trainSize).toBe(2400);
    expect(report.holdoutSize).toBe(600);
    expect(report.winner).toBe('challenger');
    expect(report.championAuc).toBeLessThan(0.6);
    expect(report.challengerAuc).toBeGreaterThan(0.7);
    // The fitted model's probabilities follow the generating ones.
    for (const x of [
      [0.1, 1.5, 3],
      [0.9, 0.1, 7],
      [0.5, 1, 5],
    ]) {
      expect(Math.abs(report.challenger.predict(x) - truth(x))).toBeLessThan(0.08);
    }
  });

  it('keeps the champion unless the challenger beats it by the margin', () => {
    const { data, truth } = examples(2000, 2);
    const result = retrainBatch(data, {
      champion: { predict: truth },
      steps: 200,
      minImprovement: 0.01,
    });
    expect(result.ok && result.value.winner).toBe('champion');
  });

  it.each<[string, DenseExample[], string]>([
    ['too few examples', [{ features: [1], label: 1 }], 'too_few_examples'],
    [
      'one class',
      Array.from({ length: 20 }, (_, i) => ({ features: [i], label: 1 as const })),
      'one_class',
    ],
  ])('fails on %s', (_what, data, code) => {
    const result = retrainBatch(data);
    expect(result.ok ? 'ok' : result.code).toBe(code);
  });

  it('refuses ragged examples and a bad hold-out share', () => {
    expect(() =>
      retrainBatch([
        { features: [1, 2], label: 1 },
        { features: [1], label: 0 },
      ]),
    ).toThrow(RangeError);
    expect(() => retrainBatch([], { holdoutFraction: 1 })).toThrow(RangeError);
    expect(
      () => new DenseLogisticModel(new Float64Array(2), new Float64Array(2), new Float64Array(2)),
    ).toThrow(RangeError);
  });
});

describe('denseFeatures', () => {
  it('gives named numeric features and a channel one-hot', () => {
    const spec = { channels: ['Direct', 'Email'] };
    const builder = new SessionBuilder({ id: 'd', channel: 'Email', userId: 'u1' });
    builder.event({ at: 0, page: '/home' });
    const update = builder.event({ at: 59_000, page: '/cart' });
    const names = denseFeatureNames(spec);
    const values = denseFeatures(update, { markovProbability: 0.3 }, spec);
    expect(Object.fromEntries(names.map((name, i) => [name, values[i]]))).toEqual({
      markov_probability: 0.3,
      log_pageviews: Math.log1p(2),
      log_duration_s: Math.log1p(59),
      converted_so_far: 0,
      known_user: 1,
      has_profile: 0,
      log_lifetime_value: 0,
      'channel=Direct': 0,
      'channel=Email': 1,
      'channel=other': 0,
    });
    const other = new SessionBuilder({ id: 'o', channel: 'Social' }).event({ at: 0, page: '/' });
    expect(denseFeatures(other, { markovProbability: Number.NaN }, spec).slice(-3)).toEqual([
      0, 0, 1,
    ]);
  });
});
