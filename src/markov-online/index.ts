/**
 * Online Markov chains over paths (in-session page-type flow, cross-session channel journeys):
 * counting with integer states and typed arrays, optional time decay, additive deltas, exact
 * absorption probabilities and removal effects, and ChannelAttribution-compatible attribution.
 */
export {
  MarkovChain,
  DEFAULT_SOLVER_SETTINGS,
  type PathCounts,
  type MergeErrorCode,
} from './markov-chain.js';
export {
  resolveMarkovChainConfig,
  type MarkovChainOptions,
  type MarkovChainConfig,
} from './markov-chain-config.js';
export {
  MarkovSnapshot,
  type NextState,
  type ItemRemovalEffect,
  type RemovalRank,
} from './markov-snapshot.js';
export { START, CONVERSION, NULL, type StateId } from './state-space.js';
export type { SolverSettings, SolveStats } from './absorption-solver.js';
export type { EdgeArrays } from './edge-store.js';
export { encodeDelta, decodeDelta, type MarkovDelta, type DeltaErrorCode } from './markov-delta.js';
export {
  parsePathFile,
  type Journey,
  type LineIssue,
  type PathFile,
  type PathFileErrorCode,
} from './path-file.js';
export {
  attribute,
  heuristicAttribution,
  channelsInOrder,
  type Attribution,
  type AttributionOptions,
  type AttributionReport,
  type Credit,
  type MarkovCredit,
} from './attribution.js';
export { ByteReader, ByteWriter } from './byte-codec.js';
