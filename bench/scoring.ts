/**
 * Scoring speed (QUALITY.md: predict_us_64_features <= 3 us; FTRL updates only on labelled,
 * sampled examples).
 *
 * A model is first learnt from a synthetic shop (src/scoring/testing/synthetic-sessions.ts) at 2^20
 * buckets, then:
 * - predict_us_64_features: one calibrated prediction of the published snapshot (the serving
 *   path: 64 reads of the dense weights, sigmoid, isotonic calibration) on vectors of 64 random
 *   indices, so the reads miss caches as a big model's would;
 * - ftrl_predict_us_64_features: the same on the live FTRL model, which derives each weight from
 *   (z, n) on the fly;
 * - ftrl_updates_per_s: FTRL-Proximal steps on real extracted feature vectors;
 * - features_predict_per_s: feature extraction + calibrated prediction of realistic updates;
 * - scores_per_s: Scorer.score(), the whole Score (Markov state lookup, next pages included);
 * - publish_ms: one snapshot (calibration refit, metrics, dense weights, both chains solved).
 * Each figure is the median of several timed rounds.
 */
import { benchResult, median, type BenchResult } from './result.js';
import {
  FeatureVector,
  FtrlModel,
  Scorer,
  Trainer,
  createFeatureHasher,
  encodeModel,
  seededRandom,
  type ModelSnapshot,
} from '../src/scoring/index.js';
import { SyntheticShop } from '../src/scoring/testing/synthetic-sessions.js';
import type { SessionUpdate } from '../src/core/index.js';

const BITS = 20;
const WARM_UP_SESSIONS = 10_000;
const TRAINING_SESSIONS = 20_000;
const PUBLISH_EVERY = 5_000;
const ROUNDS = 15;

/** Runs `body` (which does `ops` operations) ROUNDS times; returns each round's ns per op. */
export function timeRounds(ops: number, body: () => number): { nsPerOp: number[]; sink: number } {
  const nsPerOp: number[] = [];
  let sink = 0;
  sink += body(); // warm-up
  for (let round = 0; round < ROUNDS; round++) {
    const start = process.hrtime.bigint();
    sink += body();
    nsPerOp.push(Number(process.hrtime.bigint() - start) / ops);
  }
  return { nsPerOp, sink };
}

/** `count` vectors of `features` random indices below 2^bits (reads that miss caches). */
function randomVectors(
  count: number,
  features: number,
  bits: number,
  random: () => number,
): Uint32Array[] {
  return Array.from({ length: count }, () =>
    Uint32Array.from({ length: features }, () => Math.floor(random() * 2 ** bits)),
  );
}

/**
 * predict_us_64_features: ns per calibrated prediction of a published snapshot (the serving
 * path) on vectors of 64 random indices, per round. Shared with bench/models.ts.
 */
export function timePredict64(model: ModelSnapshot): { nsPerOp: number[]; sink: number } {
  const VECTORS = 1024;
  const vectors = randomVectors(VECTORS, 64, model.bits, seededRandom(3));
  const PREDICTS = 200_000;
  return timeRounds(PREDICTS, () => {
    let sum = 0;
    for (let i = 0; i < PREDICTS; i++)
      sum += model.propensity(vectors[i & (VECTORS - 1)] as Uint32Array, 64);
    return sum;
  });
}

/** ns per FTRL-Proximal step over `examples` (cycled), per round. Shared with bench/models.ts. */
export function timeFtrlUpdates(
  live: FtrlModel,
  examples: readonly Uint32Array[],
  labels: readonly (0 | 1)[],
): { nsPerOp: number[]; sink: number } {
  const UPDATES = 100_000;
  return timeRounds(UPDATES, () => {
    let sum = 0;
    for (let i = 0; i < UPDATES; i++) {
      const k = i % examples.length;
      const x = examples[k] as Uint32Array;
      sum += live.learn(x, x.length, labels[k] as 0 | 1);
    }
    return sum;
  });
}

export async function run(): Promise<BenchResult> {
  const hasher = await createFeatureHasher({ bits: BITS });
  const trainer = new Trainer({}, { hasher });
  const scorer = new Scorer(hasher);
  const shop = new SyntheticShop(7);
  // Sessions are generated first, so that generating them is not timed; the first ones warm up
  // the JIT and give the model something to start from.
  const sessions = Array.from({ length: WARM_UP_SESSIONS + TRAINING_SESSIONS }, () => shop.next());
  const learn = (from: number, to: number): number => {
    let updates = 0;
    for (let s = from; s < to; s++) {
      const session = sessions[s] as (typeof sessions)[number];
      for (const update of session.updates) {
        const score = scorer.score(update);
        trainer.onUpdate(update, { markovProbability: score.markovProbability });
        updates++;
      }
      trainer.onClosed(session.closed);
      if (s % PUBLISH_EVERY === PUBLISH_EVERY - 1) scorer.swap(trainer.publish());
    }
    return updates;
  };
  learn(0, WARM_UP_SESSIONS);
  const trainStart = performance.now();
  const trainUpdates = learn(WARM_UP_SESSIONS, sessions.length);
  const learnAndScorePerS = trainUpdates / ((performance.now() - trainStart) / 1000);

  const publishMs: number[] = [];
  for (let i = 0; i < 7; i++) {
    const start = performance.now();
    trainer.publish(true);
    publishMs.push(performance.now() - start);
  }
  const model = trainer.publish(true);
  scorer.swap(model);
  const encoded = encodeModel(model);

  const random = seededRandom(3);
  const serving = timePredict64(model);
  const PREDICTS = 200_000;
  const VECTORS = 1024;
  const vectors = randomVectors(VECTORS, 64, BITS, seededRandom(3));
  const live = new FtrlModel(2 ** BITS, model.parts.ftrl);
  live.load(model.parts.classifier, model.parts.updates);
  const livePredict = timeRounds(PREDICTS, () => {
    let sum = 0;
    for (let i = 0; i < PREDICTS; i++)
      sum += live.predict(vectors[i & (VECTORS - 1)] as Uint32Array, 64);
    return sum;
  });

  // Realistic updates and their feature vectors.
  const updates: SessionUpdate[] = [];
  while (updates.length < 4096) updates.push(...shop.next().updates);
  updates.length = 4096;
  const examples: Uint32Array[] = [];
  const labels: (0 | 1)[] = [];
  const vector = new FeatureVector();
  for (const update of updates) {
    hasher.extract(
      update,
      { markovProbability: model.markovProbability(update.session.path) },
      vector,
    );
    examples.push(vector.copyIndices());
    labels.push(random() < 0.15 ? 1 : 0);
  }
  const meanFeatures = examples.reduce((s, e) => s + e.length, 0) / examples.length;

  const ftrlUpdates = timeFtrlUpdates(live, examples, labels);

  const SCORES = 50_000;
  const featuresPredict = timeRounds(SCORES, () => {
    let sum = 0;
    for (let i = 0; i < SCORES; i++) {
      const update = updates[i & 4095] as SessionUpdate;
      hasher.extract(update, { markovProbability: 0.05 }, vector);
      sum += model.propensity(vector.indices, vector.count);
    }
    return sum;
  });
  const scores = timeRounds(SCORES, () => {
    let sum = 0;
    for (let i = 0; i < SCORES; i++)
      sum += scorer.score(updates[i & 4095] as SessionUpdate).propensity;
    return sum;
  });

  const perSecond = (ns: number[]): number => 1e9 / median(ns);
  return benchResult(
    'scoring',
    {
      predict_us_64_features: {
        value: median(serving.nsPerOp) / 1000,
        unit: 'us',
        target: 3,
        better: 'lower',
        note: 'published snapshot: dense weights + sigmoid + isotonic calibration, 2^20 buckets',
      },
      ftrl_predict_us_64_features: {
        value: median(livePredict.nsPerOp) / 1000,
        unit: 'us',
        better: 'lower',
        note: 'live FTRL model, weights derived from (z, n) per read',
      },
      ftrl_updates_per_s: {
        value: perSecond(ftrlUpdates.nsPerOp),
        unit: 'updates/s',
        better: 'higher',
        note: `realistic examples, ${meanFeatures.toFixed(1)} features on average`,
      },
      features_predict_per_s: {
        value: perSecond(featuresPredict.nsPerOp),
        unit: 'updates/s',
        better: 'higher',
        note: 'hashed feature extraction + calibrated prediction of a realistic SessionUpdate',
      },
      scores_per_s: {
        value: perSecond(scores.nsPerOp),
        unit: 'scores/s',
        better: 'higher',
        note: 'Scorer.score(): Markov state, features, propensity, next pages, Score object',
      },
      learn_and_score_updates_per_s: {
        value: learnAndScorePerS,
        unit: 'updates/s',
        better: 'higher',
        note: `per update: score, sample for training (rate 1, up to 16 a session); per close: Markov counts + FTRL; a snapshot every ${PUBLISH_EVERY} sessions`,
      },
      publish_ms: {
        value: median(publishMs),
        unit: 'ms',
        better: 'lower',
        note: 'one snapshot at 2^20 buckets with a 100k-pair validation window',
      },
    },
    {
      bits: BITS,
      trainingSessions: TRAINING_SESSIONS,
      trainingUpdates: trainUpdates,
      touchedCoordinates: model.parts.classifier.indices.length,
      encodedModelBytes: encoded.length,
      onlineAuc: model.metrics.auc,
      onlineEce: model.metrics.ece,
      sink: serving.sink + livePredict.sink + ftrlUpdates.sink + featuresPredict.sink + scores.sink,
    },
  );
}
