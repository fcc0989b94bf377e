import { gauge, type Profile, type Score, type SessionUpdate } from '../core/index.js';
import { FeatureVector, type FeatureHasher } from './feature-hasher.js';
import { emptyModel, type ModelSnapshot } from './model-snapshot.js';
import { DEFAULT_FTRL_PARAMS } from './ftrl.js';
import { IsotonicCalibrator } from './isotonic.js';
import { EMPTY_METRICS } from './progressive-validation.js';

const servedVersionGauge = gauge(
  'pathcast_scorer_model_version',
  'Version of the model snapshot this process scores with (0: none yet).',
);

/** A snapshot with the hasher sized for it, swapped as one reference. */
interface Serving {
  readonly model: ModelSnapshot;
  readonly hasher: FeatureHasher;
}

/**
 * Scores live session updates with the latest model snapshot. swap() replaces the snapshot by
 * assigning one reference, so scoring never pauses and a score never mixes two models. Before
 * the first snapshot it serves an empty model (version 0): propensity 0.5, no Markov data.
 */
export class Scorer {
  private serving: Serving;
  private readonly vector = new FeatureVector();

  constructor(hasher: FeatureHasher, initial?: ModelSnapshot) {
    const model =
      initial ??
      emptyModel(hasher.bits, DEFAULT_FTRL_PARAMS, IsotonicCalibrator.identity(), EMPTY_METRICS);
    this.serving = { model, hasher: hasher.withBits(model.bits) };
    servedVersionGauge.set(model.version);
  }

  get model(): ModelSnapshot {
    return this.serving.model;
  }

  /** Serves `next` from the next score on. */
  swap(next: ModelSnapshot): void {
    const current = this.serving;
    this.serving = {
      model: next,
      hasher:
        next.bits === current.hasher.bits ? current.hasher : current.hasher.withBits(next.bits),
    };
    servedVersionGauge.set(next.version);
  }

  score(update: SessionUpdate, profile?: Profile): Score {
    // One read of the reference: the rest of this call uses one model even if swap() runs.
    const { model, hasher } = this.serving;
    const session = update.session;
    const markovProbability = model.markovProbability(session.path);
    hasher.extract(update, { profile, markovProbability }, this.vector);
    return {
      site: session.site,
      visitor: session.visitor,
      sessionId: session.id,
      at: update.event.timestamp,
      propensity: model.propensity(this.vector.indices, this.vector.count),
      markovProbability,
      nextPages: model.nextPages(session.path),
      modelVersion: model.id,
    };
  }
}
