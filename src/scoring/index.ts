/**
 * Live scoring: hashed sparse features, an FTRL-Proximal classifier learnt online from labelled
 * session prefixes with progressive validation and isotonic calibration, the trainer that also
 * owns the Markov counts, versioned model snapshots (binary, mergeable counts) and the scorer
 * that serves them. Transport-free: the runtime wires updates in and snapshots out.
 */
export {
  createFeatureHasher,
  FeatureHasher,
  FeatureVector,
  FEATURE_SCHEMA_VERSION,
  FIELD_SEEDS,
  MAX_FEATURES,
  DEFAULT_BITS,
  type FeatureField,
  type FeatureOptions,
  type FeatureContext,
} from './feature-hasher.js';
export {
  FtrlModel,
  DEFAULT_FTRL_PARAMS,
  resolveFtrlParams,
  ftrlWeight,
  sigmoid,
  type FtrlOptions,
  type FtrlParams,
  type SparseFtrlState,
} from './ftrl.js';
export { auc } from './auc.js';
export { logLoss, exampleLogLoss } from './log-loss.js';
export {
  calibrationCurve,
  type CalibrationCurve,
  type CalibrationCurveOptions,
  type ReliabilityBin,
} from './calibration-curve.js';
export { IsotonicCalibrator, fitIsotonic } from './isotonic.js';
export {
  ProgressiveValidation,
  EMPTY_METRICS,
  type ModelMetrics,
} from './progressive-validation.js';
export { ModelSnapshot, emptyModel, type ModelParts, type NextPage } from './model-snapshot.js';
export { encodeModel, decodeModel, type ModelErrorCode } from './model-codec.js';
export { Trainer, type TrainerDeps, type TrainerStats } from './trainer.js';
export { Learner, type LearnerDeps, type TrainedExample } from './learner.js';
export {
  SessionLabeller,
  type SessionLabellerDeps,
  type LabelledSession,
  type LabelledPrefix,
  type ClosedOutcome,
} from './session-labeller.js';
export {
  encodeModelInput,
  decodeModelInput,
  type ModelInput,
  type ModelInputErrorCode,
} from './model-input-codec.js';
export {
  SessionChains,
  type CountedSession,
  type MarkovDeltas,
  type SolvedChains,
} from './session-chains.js';
export {
  resolveTrainerConfig,
  type TrainerOptions,
  type TrainerConfig,
  type SamplingOptions,
  type ChannelJourneyOptions,
} from './trainer-config.js';
export { Scorer } from './scorer.js';
export { denseFeatures, denseFeatureNames, type DenseFeatureSpec } from './dense-features.js';
export {
  retrainBatch,
  DenseLogisticModel,
  type DenseExample,
  type DenseScorer,
  type RetrainOptions,
  type RetrainReport,
  type RetrainErrorCode,
} from './batch-retrain.js';
export { seededRandom, type Random } from './random.js';
