export {
  createSimulation,
  simulate,
  buildSites,
  CLOCK_SKEWS_MS,
  type Simulation,
} from './simulation.js';
export {
  resolveSimulationConfig,
  withoutDeliveryFaults,
  defaultWriteKey,
  DEFAULT_FAULT_RATES,
  SIMULATION_DEFAULTS,
  HISTORICAL_START,
  type SimulationOptions,
  type SimulationConfig,
  type FaultRates,
  type ResolvedFaultRates,
  type Timing,
} from './options.js';
export { LIBRARY_NAME, type SimulatedEvent, type RecordKind } from './simulated-event.js';
export type { SessionTruth } from './session-truth.js';
export { buildGroundTruth, writeTruthFile, type GroundTruth } from './ground-truth.js';
export {
  computeModelTruth,
  TRUTH_DEFINITIONS,
  type ModelTruth,
  type PageStateTruth,
  type ChannelStateTruth,
} from './model-truth.js';
export type { FaultTruth, RunCounts } from './truth-recorder.js';
export { crmCsv, writeCrmCsv, CRM_CSV_COLUMNS, type CrmProfile } from './crm-profiles.js';
export { recordText, teeSinks, type EventSink } from './event-sink.js';
export { createNdjsonSink, type NdjsonSinkOptions } from './ndjson-sink.js';
export {
  createHttpSink,
  type HttpSink,
  type HttpSinkOptions,
  type HttpSinkStats,
} from './http-sink.js';
export { paced, type Pacing, type PacingDeps } from './pacing.js';
export { runSimulation, type RunOptions, type RunSummary } from './run-simulation.js';
export { MALFORMED_KINDS, type MalformedKind } from './malformed.js';
export { PAGE_PATH_PATTERNS, pageTypeRules } from './site-catalog.js';
export {
  PAGE_TYPES,
  CHANNELS,
  VISITOR_TYPES,
  type PageType,
  type Channel,
} from './generative-model.js';
export {
  absorptionMatrix,
  absorptionProbabilities,
  absorptionFromStart,
  expectedVisits,
  removalEffects,
  aggregateChains,
  type AbsorbingChain,
  type ChainWithStart,
} from './absorbing-chain.js';
