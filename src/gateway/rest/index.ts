export { restPlugin, type RestOptions } from './plugin.js';
export { opsPlugin, runtimeReadiness, type OpsOptions, type ReadinessCheck } from './ops.js';
export { registerDocs, DOCS_PREFIX } from './docs.js';
export { REST_ERRORS, type RestErrorCode } from './rest-errors.js';
export { LatestScores, DEFAULT_LATEST_SCORES } from './latest-scores.js';
export { secretKeyAuth, presentedKey, type SecretKeyAuth } from './secret-key.js';
export {
  dryRunScore,
  type DryRunDeps,
  type DryRunOutcome,
  type DryRunRequest,
  type DryRunResult,
  type EventScore,
  type ScoreRejection,
} from './dry-run-scorer.js';
export type { ProfileLookup } from './context.js';
