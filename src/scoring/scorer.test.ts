import { beforeAll, describe, expect, it } from 'vitest';
import type { Profile } from '../core/index.js';
import { createFeatureHasher, FeatureVector, type FeatureHasher } from './feature-hasher.js';
import type { ModelSnapshot } from './model-snapshot.js';
import { Scorer } from './scorer.js';
import { SessionBuilder } from './testing/session-builder.js';
import { trainSmallModel } from './testing/trained-model.js';

let hasher: FeatureHasher;
let model: ModelSnapshot;
beforeAll(async () => {
  hasher = await createFeatureHasher({ bits: 14 });
  model = trainSmallModel(hasher);
});

function update() {
  const builder = new SessionBuilder({ id: 'live', visitor: 'v-live', channel: 'Email' });
  builder.event({ at: 1_700_000_000_000, page: '/home' });
  return builder.event({ at: 1_700_000_020_000, page: '/category' });
}

describe('Scorer', () => {
  it('serves an empty model before the first snapshot', () => {
    const score = new Scorer(hasher).score(update());
    expect(score).toEqual({
      site: 'site-1',
      visitor: 'v-live',
      sessionId: 'live',
      at: 1_700_000_020_000,
      propensity: 0.5,
      markovProbability: 0,
      nextPages: [],
      modelVersion: 'ftrl@0',
    });
  });

  it('scores with the snapshot: calibrated propensity, Markov probability, next pages', () => {
    const scorer = new Scorer(hasher);
    scorer.swap(model);
    const u = update();
    const score = scorer.score(u);
    const markov = model.markovProbability(['/home', '/category']);
    expect(score.markovProbability).toBe(markov);
    const vector = new FeatureVector();
    hasher.extract(u, { markovProbability: markov }, vector);
    expect(score.propensity).toBe(model.propensity(vector.indices, vector.count));
    expect(score.propensity).not.toBe(0.5);
    expect(score.modelVersion).toBe(model.id);
    expect(score.nextPages.length).toBeGreaterThan(0);
    expect(score.nextPages.length).toBeLessThanOrEqual(3);
    const probabilities = score.nextPages.map((p) => p.probability);
    expect(probabilities).toEqual([...probabilities].sort((a, b) => b - a));
    for (const page of score.nextPages) expect(page.pageType).toMatch(/^\//);
  });

  it('uses the profile for features', () => {
    const scorer = new Scorer(hasher, model);
    const profile: Profile = {
      userId: 'u',
      emailHash: '',
      segment: 'vip',
      lifetimeValue: 5000,
      orders: 9,
      firstOrderAt: null,
      lastOrderAt: null,
      tenureDays: 1,
      churned: false,
      attributes: {},
      updatedAt: 0,
    };
    const u = update();
    const markov = model.markovProbability(u.session.path);
    const vector = new FeatureVector();
    hasher.extract(u, { profile, markovProbability: markov }, vector);
    expect(scorer.score(u, profile).propensity).toBe(
      model.propensity(vector.indices, vector.count),
    );
  });

  it('swaps models by reference, including models of another size', () => {
    const scorer = new Scorer(hasher, model);
    const small = trainSmallModel(hasher.withBits(10), 100, 2);
    scorer.swap(small);
    expect(scorer.model).toBe(small);
    const score = scorer.score(update());
    expect(score.modelVersion).toBe(small.id);
    const vector = new FeatureVector();
    hasher.withBits(10).extract(update(), { markovProbability: score.markovProbability }, vector);
    expect(score.propensity).toBe(small.propensity(vector.indices, vector.count));
  });
});
