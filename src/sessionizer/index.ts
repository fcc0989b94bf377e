export {
  PartitionSessionizer,
  createPartitionSessionizer,
  type ProcessResult,
  type RecordOrigin,
  type SessionizerDeps,
  type SessionizerStats,
} from './partition-sessionizer.js';
export {
  resolveSessionizerConfig,
  SESSIONIZER_DEFAULTS,
  CLOSE_MODES,
  type CloseMode,
  type SessionizerConfig,
  type SessionizerOptions,
} from './options.js';
export { CollectingSink, nullSink, type SessionSink } from './sink.js';
export type { IdentityLink } from './identity-map.js';
export { CHECKPOINT_VERSION } from './checkpoint.js';
export { sessionId } from './hash.js';
