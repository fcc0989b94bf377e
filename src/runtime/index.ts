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
export { TrainerRole, type TrainerRoleDeps, type TrainerRoleOptions } from './trainer-role.js';
export {
  ModelInputsShipper,
  type ModelInputsDeps,
  type ModelInputsOptions,
} from './model-inputs.js';
export { followModels, type ModelFollowerDeps } from './model-follower.js';
export {
  encodeTrainerState,
  decodeTrainerState,
  type TrainerState,
  type TrainerStateErrorCode,
} from './trainer-state.js';
export { ScoringOutputs, type SessionLearning } from './scoring-outputs.js';
