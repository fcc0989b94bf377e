import { counter, gauge, type Clock, type Lifecycle, type Logger } from '../core/index.js';
import { serially } from './serial-chain.js';
import {
  LOG_ERROR,
  recordBytesOf,
  type BatchContext,
  type ConsumerContext,
  type EventLog,
  type LogConsumer,
  type PartitionHandler,
  type RecordBatch,
  type TopicNames,
} from '../ingest/index.js';
import {
  Learner,
  decodeModelInput,
  resolveTrainerConfig,
  type FeatureHasher,
  type ModelSnapshot,
  type TrainerConfig,
  type TrainerOptions,
} from '../scoring/index.js';
import type { CheckpointStore } from './checkpoint-store.js';
import { RecentSessions } from './recent-sessions.js';
import { decodeTrainerState, encodeTrainerState } from './trainer-state.js';

export interface TrainerRoleOptions {
  /**
   * Session ids remembered to skip duplicates (RecentSessions): a session shipped again is
   * skipped while fewer sessions than this came in between (at 10k sessions closing a second
   * across the processes, 20 s). Default 200,000.
   */
  readonly recentSessions?: number;
}

export interface TrainerRoleDeps {
  readonly log: EventLog;
  readonly topics: TopicNames;
  /** The processors' group; the role's group is `<group>.trainer`. */
  readonly group: string;
  /** Checkpoints on the compacted models topic (a KafkaCheckpointStore of `topics.models`). */
  readonly store: CheckpointStore;
  readonly hasher: FeatureHasher;
  readonly trainer?: TrainerOptions;
  /** Where a trainer starts when the models topic holds no snapshot yet (the stored model). */
  readonly initial?: ModelSnapshot;
  /** Called with each snapshot once it is saved on the models topic (the ClickHouse store). */
  readonly onSnapshot?: (model: ModelSnapshot) => void;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** The trainer's state while this process holds the role. */
interface Held {
  readonly learner: Learner;
  readonly recent: RecentSessions;
  /** Offset after the last model input applied. */
  nextOffset: number;
  /** Offset the last saved snapshot covers. */
  savedOffset: number;
  savedVersion: number;
  /** Batches and publishes run one at a time. */
  chain: Promise<void>;
}

const inputsConsumed = counter(
  'pathcast_model_inputs_consumed_total',
  'Model inputs the trainer role read, by kind (closed; labelled and deltas from earlier builds; unreadable) and outcome (learnt, duplicate, invalid).',
  ['kind', 'outcome'],
);
const duplicatesSkipped = counter(
  'pathcast_trainer_duplicates_skipped_total',
  'Closed and labelled sessions the trainer skipped because it had taken the same session id recently.',
);
const snapshotsPublished = counter(
  'pathcast_trainer_snapshots_published_total',
  'Model snapshots the trainer role saved on the models topic.',
);
const roleHeld = gauge(
  'pathcast_trainer_role_held',
  'Whether this process is the trainer (owns the model-inputs partition): 1 or 0.',
);

/** The model-inputs topic has one partition; its owner is the trainer. */
const PARTITION = 0;

/**
 * The one trainer of the distributed shape. Every process joins the consumer group
 * `<group>.trainer` on the one-partition model-inputs topic; Kafka gives the partition to
 * exactly one member, which is the trainer, and to another when it leaves or dies.
 *
 * On assignment it restores the latest snapshot from the compacted models topic, where each is
 * saved as a checkpoint whose offset is the model-inputs offset it covers (with the
 * deduplication ring), and replays the inputs from there: every input is learnt once by the
 * model that a crash-free trainer would have built. A closed session is counted into the Markov
 * chains and its prefixes learnt, once: a session id taken recently is skipped (RecentSessions),
 * so a session a scoring process closes again after a crash (its partition replays from the
 * checkpoint) is counted once, as in a run without the crash. So is a session that a late event
 * reopened and that closed again: as it first closed (the events the reopening added are not
 * counted, where counting both closes would count its path twice). Labelled sessions and count
 * deltas (what shippers of earlier builds sent) are still learnt and merged, each once by the
 * same ring. Every publishIntervalMs, and when it gives the role up, it publishes
 * a snapshot, saves it, then commits the offset (for lag only: restores go by the snapshot's
 * offset). Every process, this one included, serves the saved snapshots through the models
 * topic (model-follower.ts).
 *
 * NOTE: the classifier's (z, n) travel as float32 in a snapshot, so a trainer resumed from one
 * goes on from a model rounded to float32 (6e-8 relative), and the progressive-validation window
 * starts empty (metrics cover the new trainer's examples; the calibrator carries over). Writers
 * are not fenced: a trainer checks it still owns the partition before every save.
 */
export class TrainerRole implements PartitionHandler, Lifecycle {
  private readonly deps: TrainerRoleDeps;
  private readonly config: TrainerConfig;
  private readonly recentCapacity: number;
  private readonly roleGroup: string;
  private readonly logger: Logger;
  private consumer: LogConsumer | undefined;
  private held: Held | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(deps: TrainerRoleDeps, options: TrainerRoleOptions = {}) {
    this.deps = deps;
    this.config = resolveTrainerConfig(deps.trainer);
    this.recentCapacity = options.recentSessions ?? 200_000;
    if (!Number.isSafeInteger(this.recentCapacity) || this.recentCapacity < 1) {
      throw new RangeError(`recentSessions must be a positive integer, got ${this.recentCapacity}`);
    }
    this.roleGroup = `${deps.group}.trainer`;
    this.logger = deps.logger.child({ component: 'trainer_role' });
  }

  /** Joins the trainer group on the model-inputs topic. */
  async start(): Promise<void> {
    this.consumer = await this.deps.log.consume({
      topic: this.deps.topics.modelInputs,
      group: this.roleGroup,
      fromBeginning: true,
      handler: this,
      onFailure: (error) => this.logger.error('trainer_role_failed', { err: error }),
    });
    this.timer = setInterval(() => this.tick(), this.config.publishIntervalMs);
    this.timer.unref();
  }

  /** Leaves the group: a held role publishes and saves its last snapshot on the way out. */
  async close(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    // NOTE: the consumer stays set while it closes: the revoke that closing brings must still
    // own the partition to publish and save the last snapshot (as PartitionPipeline.close).
    const consumer = this.consumer;
    if (consumer !== undefined) await consumer.close();
    this.consumer = undefined;
  }

  /** Whether this process is the trainer now. */
  holds(): boolean {
    return this.held !== undefined;
  }

  /** The model-inputs offset the held role has learnt up to, for tests and status. */
  get learntUpTo(): number | undefined {
    return this.held?.nextOffset;
  }

  /** The held trainer's latest snapshot (saved or not), for tests and status. */
  get snapshot(): ModelSnapshot | undefined {
    return this.held?.learner.snapshot;
  }

  async onAssigned(partitions: readonly number[], ctx: ConsumerContext): Promise<void> {
    this.consumer = ctx.consumer;
    this.release();
    if (!partitions.includes(PARTITION)) return;
    const { topics, store } = this.deps;
    const saved = await store.load(topics.modelInputs, this.roleGroup, PARTITION);
    let initial = this.deps.initial;
    let recent: Float64Array = new Float64Array(0);
    if (saved !== undefined) {
      const state = decodeTrainerState(saved.state);
      if (state.ok) {
        initial = state.value.model;
        recent = state.value.recent;
      } else {
        // A snapshot of another build (feature schema): its inputs are of no use either.
        this.logger.warn('trainer_state_not_resumed', { code: state.code, reason: state.reason });
      }
    }
    const learner = new Learner(this.config, {
      hasher: this.deps.hasher,
      logger: this.logger,
      clock: this.deps.clock,
      ...(initial === undefined ? {} : { initial }),
    });
    const from = saved?.nextOffset ?? 0;
    ctx.consumer.seek(PARTITION, from);
    this.held = {
      learner,
      recent: new RecentSessions(this.recentCapacity, recent),
      nextOffset: from,
      savedOffset: saved === undefined ? -1 : from,
      savedVersion: initial?.version ?? 0,
      chain: Promise.resolve(),
    };
    roleHeld.set(1);
    this.logger.info('trainer_role_taken', {
      offset: from,
      fromSnapshot: saved !== undefined,
      version: learner.currentVersion,
      examples: learner.examples,
    });
  }

  async onRevoked(partitions: readonly number[]): Promise<void> {
    const held = this.held;
    if (held === undefined || !partitions.includes(PARTITION)) return;
    await serially(held, () => this.publish(held));
    this.release();
    this.logger.info('trainer_role_released', { version: held.learner.currentVersion });
  }

  async onLost(partitions: readonly number[]): Promise<void> {
    // Another member may hold the role already and restored the last snapshot: never save.
    if (partitions.includes(PARTITION)) this.release();
  }

  async onBatch(batch: RecordBatch, _ctx: BatchContext): Promise<void> {
    const held = this.held;
    if (held === undefined || batch.partition !== PARTITION) return;
    await serially(held, async () => {
      if (!this.owns(held)) return;
      for (const record of batch.records) {
        if (record.offset < held.nextOffset) continue;
        this.apply(held, recordBytesOf(record.value), record.offset);
      }
      held.nextOffset = batch.nextOffset;
    });
  }

  private apply(held: Held, value: Buffer, offset: number): void {
    const decoded = decodeModelInput(value);
    if (!decoded.ok) {
      inputsConsumed.inc({ kind: 'unreadable', outcome: 'invalid' });
      this.logger.warn('model_input_invalid', { offset, reason: decoded.reason });
      return;
    }
    const input = decoded.value;
    if (input.kind === 'closed') {
      // A session closed again (a replay after a crash, a retried produce) is counted once.
      if (!held.recent.add(input.session.id)) {
        duplicatesSkipped.inc();
        inputsConsumed.inc({ kind: 'closed', outcome: 'duplicate' });
        return;
      }
      held.learner.count(input.session);
      // Its prefixes, if any, are learnt unless made with another hasher size.
      let learnt = true;
      if (input.prefixes.length > 0) {
        learnt = input.bits === this.deps.hasher.bits;
        if (learnt) {
          const { session, bits, prefixes } = input;
          held.learner.learn({ sessionId: session.id, bits, prefixes });
        } else {
          this.warnBits(offset, input.bits);
        }
      }
      inputsConsumed.inc({ kind: 'closed', outcome: learnt ? 'learnt' : 'invalid' });
      return;
    }
    if (input.kind === 'deltas') {
      // The same record produced twice (a retried produce) is merged once.
      if (input.id !== undefined && !held.recent.add(`deltas/${input.id}`)) {
        inputsConsumed.inc({ kind: 'deltas', outcome: 'duplicate' });
        return;
      }
      const merged = held.learner.mergeDeltas(input.deltas);
      inputsConsumed.inc({ kind: 'deltas', outcome: merged.ok ? 'learnt' : 'invalid' });
      if (!merged.ok) {
        this.logger.warn('model_input_invalid', { offset, reason: merged.reason });
      }
      return;
    }
    const session = input.session;
    if (session.bits !== this.deps.hasher.bits) {
      this.warnBits(offset, session.bits);
      inputsConsumed.inc({ kind: 'labelled', outcome: 'invalid' });
      return;
    }
    if (!held.recent.add(session.sessionId)) {
      duplicatesSkipped.inc();
      inputsConsumed.inc({ kind: 'labelled', outcome: 'duplicate' });
      return;
    }
    held.learner.learn(session);
    inputsConsumed.inc({ kind: 'labelled', outcome: 'learnt' });
  }

  private warnBits(offset: number, bits: number): void {
    this.logger.warn('model_input_invalid', {
      offset,
      reason: `labelled with ${bits} bits, the model has ${this.deps.hasher.bits}`,
    });
  }

  /** Publishes, saves the snapshot with the offset it covers, then commits that offset. */
  private async publish(held: Held): Promise<void> {
    if (!this.owns(held)) return;
    const snapshot = held.learner.publish();
    const nextOffset = held.nextOffset;
    if (snapshot.version === held.savedVersion && nextOffset === held.savedOffset) return;
    const state = encodeTrainerState(snapshot, held.recent.hashes());
    const { topics, store } = this.deps;
    await store.save(topics.modelInputs, this.roleGroup, PARTITION, { nextOffset, state });
    held.savedOffset = nextOffset;
    held.savedVersion = snapshot.version;
    snapshotsPublished.inc();
    this.logger.debug('model_snapshot_saved', {
      version: snapshot.version,
      offset: nextOffset,
      bytes: state.length,
    });
    this.deps.onSnapshot?.(snapshot);
    const consumer = this.consumer;
    if (consumer === undefined || nextOffset === 0 || !this.owns(held)) return;
    try {
      await consumer.commit(PARTITION, nextOffset);
    } catch (error) {
      // The role moved on meanwhile; the snapshot holds the offset, nothing is lost.
      if ((error as { code?: unknown }).code !== LOG_ERROR.notOwned) throw error;
    }
  }

  private tick(): void {
    const held = this.held;
    if (held === undefined) return;
    void serially(held, () => this.publish(held)).catch((error: unknown) => {
      this.logger.error('model_publish_failed', { err: error });
    });
  }

  private owns(held: Held): boolean {
    return this.held === held && this.consumer?.assigned().includes(PARTITION) === true;
  }

  private release(): void {
    if (this.held === undefined) return;
    this.held = undefined;
    roleHeld.set(0);
  }
}
