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
