import { describe, expect, it } from 'vitest';
import { auc } from './auc.js';
import { calibrationCurve } from './calibration-curve.js';
import { createFeatureHasher } from './feature-hasher.js';
import { Scorer } from './scorer.js';
import { SyntheticShop } from './testing/synthetic-sessions.js';
import { Trainer } from './trainer.js';

describe('online learning on a synthetic shop with known probabilities', () => {
  it('reaches at least 0.97 x the AUC of the true probabilities, calibrated', async () => {
    const hasher = await createFeatureHasher({ bits: 18 });
    const trainer = new Trainer({ sampling: { sampleRate: 1 } }, { hasher });
    const scorer = new Scorer(hasher);
    const shop = new SyntheticShop(42);

    // Learn: score every update (as live), let the trainer sample it, publish now and then.
    for (let s = 0; s < 15_000; s++) {
      const session = shop.next();
      for (const update of session.updates) {
        const score = scorer.score(update);
        trainer.onUpdate(update, { markovProbability: score.markovProbability });
      }
      trainer.onClosed(session.closed);
      if (s % 1000 === 999) scorer.swap(trainer.publish());
    }
    scorer.swap(trainer.publish());

    // Held out: fresh sessions the model never learnt from.
    const predicted: number[] = [];
    const truth: number[] = [];
    const labels: number[] = [];
    for (let s = 0; s < 8_000; s++) {
      const session = shop.next();
      const total = session.closed.session.conversions;
      session.updates.forEach((update, k) => {
        predicted.push(scorer.score(update).propensity);
        truth.push(session.truth[k] as number);
        labels.push(total > update.session.conversions ? 1 : 0);
      });
    }
    const modelAuc = auc(predicted, labels);
    const truthAuc = auc(truth, labels);
    const ece = calibrationCurve(predicted, labels).ece;
    const online = trainer.metrics();
    const figures = JSON.stringify({ modelAuc, truthAuc, ece, onlineAuc: online.auc });
    expect(modelAuc / truthAuc, figures).toBeGreaterThanOrEqual(0.97);
    expect(ece, figures).toBeLessThan(0.02);
    // Progressive validation sees about the same quality online (its window still holds
    // examples from early in the learning, hence the looser bar).
    expect(online.auc, figures).toBeGreaterThan(0.95 * truthAuc);
    expect(online.ece, figures).toBeLessThan(0.02);
    expect(online.examples).toBe(trainer.stats.examples);
  }, 60_000);
});
