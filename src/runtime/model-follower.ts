import { counter, type Logger } from '../core/index.js';
import type { TopicNames } from '../ingest/index.js';
import type { ModelSnapshot } from '../scoring/index.js';
import type { KafkaCheckpointStore } from './kafka-checkpoint-store.js';
import { decodeTrainerState } from './trainer-state.js';

export interface ModelFollowerDeps {
  /** The store of the compacted models topic (started). */
  readonly store: Pick<KafkaCheckpointStore, 'follow'>;
  readonly topics: TopicNames;
  /** The processors' group (the trainer role's group is `<group>.trainer`). */
  readonly group: string;
  /** Swaps the model into this process's scorer. */
  readonly onModel: (model: ModelSnapshot) => void;
  readonly logger: Logger;
}

const snapshotsReceived = counter(
  'pathcast_model_snapshots_received_total',
  'Model snapshots this process read from the models topic, by outcome (served, unreadable).',
  ['outcome'],
);

/**
 * Serves the trainer role's snapshots in this process: follows the trainer's checkpoints on the
 * models topic (every process reads the whole compacted topic) and hands each newer snapshot to
 * `onModel`, which swaps it into the scorer without pausing. The topic is the truth in the
 * distributed shape: a snapshot is served because it is the newest saved, whatever its version.
 * Returns the function that stops following.
 */
export function followModels(deps: ModelFollowerDeps): () => void {
  const { store, topics, group, onModel, logger } = deps;
  return store.follow(topics.modelInputs, `${group}.trainer`, 0, (checkpoint, seq) => {
    const state = decodeTrainerState(checkpoint.state);
    if (!state.ok) {
      snapshotsReceived.inc({ outcome: 'unreadable' });
      logger.warn('model_snapshot_unreadable', { seq, code: state.code, reason: state.reason });
      return;
    }
    snapshotsReceived.inc({ outcome: 'served' });
    onModel(state.value.model);
  });
}
