import { describe, expect, it } from 'vitest';
import { registry } from '../core/index.js';
import { createFeatureHasher } from './feature-hasher.js';
import { Scorer } from './scorer.js';
import { trainSmallModel } from './testing/trained-model.js';

/** The current value of an unlabelled gauge or counter in the process registry. */
async function value(name: string): Promise<number | undefined> {
  const metric = registry.getSingleMetric(name);
  if (metric === undefined) return undefined;
  const values = (await metric.get()).values;
  return values.reduce((sum, v) => sum + v.value, 0);
}

describe('online model metrics on /metrics (Prometheus)', () => {
  it('exports the published model’s AUC, log-loss, ECE, version and example counts', async () => {
    const hasher = await createFeatureHasher({ bits: 16 });
    const examplesBefore = (await value('pathcast_trainer_examples_total')) ?? 0;
    const model = trainSmallModel(hasher, 600, 5);
    const m = model.metrics;
    // The small model has both classes in its window, so every figure is a number.
    expect(Number.isFinite(m.auc) && Number.isFinite(m.logLoss) && Number.isFinite(m.ece)).toBe(
      true,
    );
    expect(await value('pathcast_model_auc')).toBe(m.auc);
    expect(await value('pathcast_model_log_loss')).toBe(m.logLoss);
    expect(await value('pathcast_model_ece')).toBe(m.ece);
    expect(await value('pathcast_model_version')).toBe(model.version);
    expect(await value('pathcast_model_examples')).toBe(model.parts.updates);
    expect(await value('pathcast_model_validation_examples')).toBe(m.window);
    expect(await value('pathcast_model_validation_positive_rate')).toBe(m.positives / m.examples);
    expect((await value('pathcast_trainer_examples_total')) ?? 0).toBe(
      examplesBefore + model.parts.updates,
    );
    expect(model.parts.updates).toBeGreaterThan(0);
  });

  it('exports the version a scorer serves, also in a process that never trains', async () => {
    const hasher = await createFeatureHasher({ bits: 16 });
    const scorer = new Scorer(hasher);
    expect(await value('pathcast_scorer_model_version')).toBe(0);
    const model = trainSmallModel(hasher, 200, 9);
    scorer.swap(model);
    expect(await value('pathcast_scorer_model_version')).toBe(model.version);
  });

  it('lists every model metric with its help text in the exposition format', async () => {
    const text = await registry.metrics();
    for (const name of [
      'pathcast_model_auc',
      'pathcast_model_log_loss',
      'pathcast_model_ece',
      'pathcast_model_version',
      'pathcast_model_examples',
      'pathcast_model_validation_examples',
      'pathcast_model_validation_positive_rate',
      'pathcast_trainer_examples_total',
      'pathcast_scorer_model_version',
    ]) {
      expect(text).toMatch(new RegExp(`^# HELP ${name} \\S`, 'm'));
      expect(text).toMatch(new RegExp(`^${name} [-0-9.e]+$`, 'm'));
    }
  });
});
