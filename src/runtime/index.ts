export { Runtime, type RuntimeDeps, type RuntimeStatus, type RuntimeParts } from './runtime.js';
export {
  PartitionPipeline,
  type PipelineDeps,
  type PipelineOptions,
  type PipelineOutputs,
} from './partition-pipeline.js';
export {
  FileCheckpointStore,
  encodeCheckpoint,
  decodeCheckpoint,
  type Checkpoint,
  type CheckpointStore,
} from './checkpoint-store.js';
export {
  KafkaCheckpointStore,
  type KafkaCheckpointStoreDeps,
  type KafkaCheckpointStoreOptions,
} from './kafka-checkpoint-store.js';
export { ProfileJoin, type ProfileLookup, type LateProfileListener } from './profile-join.js';
export { ModelStore, LIVE_MODEL_KIND, type ModelStoreOptions } from './model-store.js';
