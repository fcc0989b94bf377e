import {
  counter,
  gauge,
  type ClickEvent,
  type Clock,
  type Logger,
  type SessionOutput,
} from '../core/index.js';
import { serially } from './serial-chain.js';
import {
  LOG_ERROR,
  type BatchContext,
  type ConsumerContext,
  type EventLog,
  type EventProcessor,
  type FailedEvent,
  type LogConsumer,
  type LogRecord,
  type PartitionHandler,
  type RecordBatch,
  type TopicNames,
} from '../ingest/index.js';
import {
  PartitionSessionizer,
  type IdentityLink,
  type ProcessResult,
  type SessionizerOptions,
} from '../sessionizer/index.js';
import type { CheckpointStore } from './checkpoint-store.js';

/** Where a partition's results go: storage, scoring, websockets. */
export interface PipelineOutputs {
  events(partition: number, events: readonly ClickEvent[]): void;
  session(partition: number, output: SessionOutput): void;
  identity(partition: number, link: IdentityLink): void;
  /** Resolves once everything handed over so far is durable (retrying while a store is down). */
  flush(): Promise<void>;
  /** True while outputs are backed up (a slow or absent store): processing waits. */
  backedUp(): boolean;
}

export interface PipelineOptions {
  /** How often a partition's state is checkpointed and its offset committed. Default 5 s. */
  readonly checkpointIntervalMs?: number;
  /** How often idle partitions let event time move on (sessions still close). Default 1 s. */
  readonly tickMs?: number;
  readonly sessionizer?: SessionizerOptions;
}

export interface PipelineDeps {
  readonly log: EventLog;
  readonly topics: TopicNames;
  readonly group: string;
  readonly processor: EventProcessor;
  readonly outputs: PipelineOutputs;
  readonly checkpoints: CheckpointStore;
  readonly clock: Clock;
  readonly logger: Logger;
}

interface PartitionState {
  readonly sessionizer: PartitionSessionizer;
  /** Offset after the last record processed. */
  nextOffset: number;
  /** Offset of the last checkpoint taken. */
  checkpointedOffset: number;
  lastCheckpointAt: number;
  caughtUp: boolean;
  /** The sessionizer changed without a record (idle closes) since the last checkpoint. */
  sessionizerChanged: boolean;
  /** Failed events (invalid or late) not yet written to the failed-events topic. */
  readonly pendingFailed: FailedEvent[];
  /** Work on one partition runs one at a time: batches, ticks and final checkpoints. */
  chain: Promise<void>;
  /**
   * The checkpoint being saved while processing goes on (see saveInBackground), at most one;
   * it never rejects: a failure is kept in `saveFailure` and thrown by the partition's next work.
   */
  saving: Promise<void> | undefined;
  saveFailure: unknown;
}

const recordsTotal = counter(
  'pathcast_pipeline_records_total',
  'Events processed (a batch record of the events topic holds several), by outcome',
  ['outcome'],
);
const checkpointsTotal = counter('pathcast_checkpoints_total', 'Partition checkpoints taken');
const backpressureTotal = counter(
  'pathcast_pipeline_backpressure_waits_total',
  'Batches held back because the outputs were full (ClickHouse slow or down): each waited for a flush',
);
const openSessionsGauge = gauge('pathcast_open_sessions', 'Open sessions held by this process');

/** How often a batch that waits (for the chain, for room, for a flush) keeps its group alive. */
const HEARTBEAT_WHILE_WAITING_MS = 1_000;

/**
 * Awaits `work`, heartbeating every second meanwhile. A store down for minutes keeps a batch
 * waiting for buffer room or for its checkpoint's flush; without heartbeats the group drops
 * this member after its session timeout (30 s) and refuses its commits once the store is back,
 * which stops the consumer. ctx.heartbeat() never throws; it marks the batch stale instead.
 */
async function heartbeating(ctx: BatchContext, work: Promise<void>): Promise<void> {
  let done = false;
  let timer: NodeJS.Timeout | undefined;
  const beat = (): void => {
    timer = setTimeout(() => {
      void ctx.heartbeat().finally(() => {
        if (!done) beat();
      });
    }, HEARTBEAT_WHILE_WAITING_MS);
  };
  beat();
  try {
    await work;
  } finally {
    done = true;
    clearTimeout(timer);
  }
}

/** A background checkpoint's failure, thrown by the partition's next work (once). */
function throwSaveFailure(state: PartitionState): void {
  const failure = state.saveFailure;
  if (failure === undefined) return;
  state.saveFailure = undefined;
  throw failure;
}

/**
 * The processing of one consumer-group member: for each owned partition, events are validated
 * and enriched, sessionized, and handed to the outputs. Exactly-once effects rest on three
 * rules, as in Flink and Kafka Streams:
 * - a checkpoint is (next offset, sessionizer state), taken together, and saved once the outputs
 *   up to it are durable (processing goes on meanwhile: see saveInBackground);
 * - the group's offset is committed only up to a checkpoint;
 * - on assignment a partition restores its checkpoint and resumes at the checkpoint's offset,
 *   so replayed records rebuild exactly the state and outputs they built before (outputs are
 *   idempotent: same ids, same versions).
 */
export class PartitionPipeline implements PartitionHandler {
  private readonly deps: PipelineDeps;
  private readonly options: Required<Omit<PipelineOptions, 'sessionizer'>> & PipelineOptions;
  private readonly partitions = new Map<number, PartitionState>();
  private consumer: LogConsumer | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;
  private stoppedBy: Error | undefined;

  constructor(deps: PipelineDeps, options: PipelineOptions = {}) {
    this.deps = deps;
    this.options = {
      checkpointIntervalMs: options.checkpointIntervalMs ?? 5_000,
      tickMs: options.tickMs ?? 1_000,
      ...(options.sessionizer === undefined ? {} : { sessionizer: options.sessionizer }),
    };
  }

  /** Joins the group on the events topic. */
  async start(): Promise<LogConsumer> {
    this.consumer = await this.deps.log.consume({
      topic: this.deps.topics.events,
      group: this.deps.group,
      fromBeginning: true,
      handler: this,
      onFailure: (error) => {
        this.stoppedBy = error;
        this.deps.logger.error('pipeline_failed', { err: error });
      },
    });
    this.timer = setInterval(() => this.tick(), this.options.tickMs);
    this.timer.unref();
    return this.consumer;
  }

  /** Leaves the group: owned partitions are checkpointed and committed on the way out. */
  async close(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    // NOTE: the consumer stays set while it closes: closing revokes every partition, and the
    // revoke saves a last checkpoint of each, so the next owner does not replay (and re-close)
    // what this member already finished. Unset first, owns() said no and nothing was saved.
    const consumer = this.consumer;
    if (consumer !== undefined) await consumer.close();
    this.consumer = undefined;
  }

  openSessions(): number {
    let total = 0;
    for (const state of this.partitions.values()) total += state.sessionizer.openSessions();
    return total;
  }

  async onAssigned(partitions: readonly number[], ctx: ConsumerContext): Promise<void> {
    this.consumer = ctx.consumer;
    // Every partition was released before a new assignment (eager protocol); state still held
    // here is from a release that failed and must not be checkpointed by anyone any more.
    for (const partition of this.partitions.keys()) {
      if (!partitions.includes(partition)) this.partitions.delete(partition);
    }
    for (const partition of partitions) {
      const { topics, group, checkpoints, logger } = this.deps;
      const pendingFailed: FailedEvent[] = [];
      const sessionizer = this.newSessionizer(partition, pendingFailed);
      const saved = await checkpoints.load(topics.events, group, partition);
      const rulesChanged = saved === undefined ? [] : sessionizer.restore(saved.state);
      if (rulesChanged.length > 0) {
        // A deliberate change of PATHCAST_SESSION_*: sessions from here on follow the new rules.
        logger.warn('partition_session_rules_changed', { partition, rulesChanged });
      }
      // Resume exactly after the checkpoint, whatever the group committed. Without one, from
      // the log's start: a committed offset with no checkpoint (a lost or new checkpoint store)
      // would otherwise go on with empty state and split every open session.
      this.seekTo(ctx.consumer, partition, saved?.nextOffset ?? 0);
      this.partitions.set(partition, {
        sessionizer,
        nextOffset: saved?.nextOffset ?? 0,
        checkpointedOffset: saved?.nextOffset ?? -1,
        lastCheckpointAt: this.deps.clock.now(),
        caughtUp: false,
        sessionizerChanged: false,
        pendingFailed,
        chain: Promise.resolve(),
        saving: undefined,
        saveFailure: undefined,
      });
      logger.info('partition_restored', {
        partition,
        fromCheckpoint: saved !== undefined,
        offset: saved?.nextOffset ?? null,
        openSessions: sessionizer.openSessions(),
      });
    }
    this.updateGauge();
  }

  async onRevoked(partitions: readonly number[]): Promise<void> {
    for (const partition of partitions) {
      const state = this.partitions.get(partition);
      if (state === undefined) continue;
      await serially(state, async () => {
        // A save still running lands first; its failure does not stop this last one.
        await state.saving;
        state.saveFailure = undefined;
        await this.checkpoint(partition, state, true);
      });
      this.partitions.delete(partition);
    }
    this.updateGauge();
  }

  async onLost(partitions: readonly number[]): Promise<void> {
    // Another member may own them already and restored the last checkpoint: drop, never commit.
    for (const partition of partitions) this.partitions.delete(partition);
    this.updateGauge();
  }

  async onBatch(batch: RecordBatch, ctx: BatchContext): Promise<void> {
    const state = this.partitions.get(batch.partition);
    if (state === undefined) return;
    const work = serially(state, async () => {
      if (!this.owns(batch.partition, state)) return;
      throwSaveFailure(state);
      const { outputs } = this.deps;
      while (outputs.backedUp()) {
        backpressureTotal.inc();
        await outputs.flush();
        await ctx.heartbeat();
        if (ctx.isStale()) return;
      }
      this.process(batch, state);
      state.caughtUp = batch.nextOffset >= batch.highWatermark;
      await this.writeFailed(state);
      if (this.deps.clock.now() - state.lastCheckpointAt >= this.options.checkpointIntervalMs) {
        this.saveInBackground(batch.partition, state);
      }
    });
    await heartbeating(ctx, work);
  }

  private process(batch: RecordBatch, state: PartitionState): void {
    const { processor, outputs, clock } = this.deps;
    const decoded: ClickEvent[] = [];
    const origins: LogRecord[] = [];
    const failed: FailedEvent[] = [];
    const now = clock.now();
    for (const record of batch.records) {
      for (const outcome of processor(record)) {
        if (!outcome.ok) {
          failed.push(outcome.failed);
          recordsTotal.inc({ outcome: outcome.failed.reason });
          continue;
        }
        decoded.push(outcome.value);
        origins.push(record);
      }
    }
    // The whole fetch at once, so the sessionizer can read its state ahead (processAll).
    const results: ProcessResult[] = [];
    state.sessionizer.processAll(decoded, now, origins, results);
    const events: ClickEvent[] = [];
    for (let i = 0; i < decoded.length; i++) {
      const result = results[i] ?? 'invalid';
      recordsTotal.inc({ outcome: result });
      if (result === 'accepted') events.push(decoded[i] as ClickEvent);
    }
    if (events.length > 0) outputs.events(batch.partition, events);
    state.pendingFailed.push(...failed);
    state.nextOffset = batch.nextOffset;
  }

  private newSessionizer(partition: number, failed: FailedEvent[]): PartitionSessionizer {
    const { outputs } = this.deps;
    return new PartitionSessionizer(this.options.sessionizer, {
      sink: {
        session: (output) => outputs.session(partition, output),
        failed: (event) => failed.push(event),
        identity: (link) => outputs.identity(partition, link),
      },
    });
  }

  private async writeFailed(state: PartitionState): Promise<void> {
    if (state.pendingFailed.length === 0) return;
    const failed = state.pendingFailed.splice(0);
    await this.deps.log.produce(
      this.deps.topics.failedEvents,
      failed.map((event) => ({ key: event.site, value: JSON.stringify(event) })),
    );
  }

  /**
   * Starts a checkpoint of the partition as it stands and lets processing go on: the offset and
   * the state are taken now, together; waiting for the outputs to be durable, saving and
   * committing run meanwhile. The partition's next batches no longer wait for ClickHouse (an
   * insert of up to a second's rows), which made every checkpoint a latency spike for the
   * visitors on that partition. At most one runs per partition, so saves land in order.
   */
  private saveInBackground(partition: number, state: PartitionState): void {
    if (state.saving !== undefined) return;
    state.saving = this.checkpoint(partition, state, false).then(
      () => {
        state.saving = undefined;
        // Batches that came while this saved are checkpointed without waiting for another.
        const due =
          this.deps.clock.now() - state.lastCheckpointAt >= this.options.checkpointIntervalMs;
        const moved = state.nextOffset !== state.checkpointedOffset || state.sessionizerChanged;
        if (due && moved && this.owns(partition, state)) this.saveInBackground(partition, state);
      },
      (error: unknown) => {
        state.saving = undefined;
        state.saveFailure = error;
      },
    );
  }

  /**
   * The error that stopped processing for good (the log's consumer gave up on it), or undefined
   * while it runs: /readyz reports it, as the log's onFailure contract asks.
   */
  failure(): Error | undefined {
    return this.stoppedBy;
  }

  /** Resolves once no checkpoint of any partition is being saved (for tests and status). */
  async checkpointsSettled(): Promise<void> {
    for (;;) {
      const saving = [...this.partitions.values()].flatMap((state) =>
        state.saving === undefined ? [] : [state.saving],
      );
      if (saving.length === 0) return;
      await Promise.all(saving);
    }
  }

  /**
   * Outputs up to here made durable, then (offset, state) saved, then the offset committed. A
   * crash between any two steps replays from the previous checkpoint, which is harmless. The
   * offset and state are read before the first await: a caller may go on processing meanwhile.
   */
  private async checkpoint(
    partition: number,
    state: PartitionState,
    force: boolean,
  ): Promise<void> {
    state.lastCheckpointAt = this.deps.clock.now();
    if (!force && state.nextOffset === state.checkpointedOffset && !state.sessionizerChanged)
      return;
    if (!this.owns(partition, state)) return;
    const snapshot = state.sessionizer.snapshot();
    const nextOffset = state.nextOffset;
    // Changes from here on (idle closes while this saves) belong to the next checkpoint.
    state.sessionizerChanged = false;
    try {
      await this.writeFailed(state);
      await this.deps.outputs.flush();
      // The partition may have been lost meanwhile: its new owner restores the last checkpoint
      // and must not find an older one from here saved over its own.
      if (!this.owns(partition, state)) return;
      const { topics, group, checkpoints } = this.deps;
      await checkpoints.save(topics.events, group, partition, { nextOffset, state: snapshot });
    } catch (error) {
      state.sessionizerChanged = true;
      throw error;
    }
    state.checkpointedOffset = nextOffset;
    checkpointsTotal.inc();
    const consumer = this.consumer;
    if (consumer !== undefined && nextOffset > 0 && this.owns(partition, state)) {
      try {
        await consumer.commit(partition, nextOffset);
      } catch (error) {
        // The group moved the partition on while we flushed (a rebalance, or our session timed
        // out during a long ClickHouse outage). Nothing is lost: the checkpoint holds the
        // offset, and whoever owns the partition now resumes from its checkpoint, not from
        // the group's commit. Any other refusal still stops the consumer.
        if ((error as { code?: unknown }).code !== LOG_ERROR.notOwned) throw error;
        this.deps.logger.warn('partition_commit_not_owned', { partition, nextOffset });
      }
    }
  }

  /**
   * Whether `state` is still this member's live state of `partition`: not revoked, not lost,
   * not replaced by a new assignment. Work queued for a released partition must not save it.
   */
  private owns(partition: number, state: PartitionState): boolean {
    const consumer = this.consumer;
    return (
      this.partitions.get(partition) === state &&
      consumer !== undefined &&
      consumer.assigned().includes(partition)
    );
  }

  /** Positions a newly assigned partition; a start below the retained log means from its start. */
  private seekTo(consumer: LogConsumer, partition: number, offset: number): void {
    try {
      consumer.seek(partition, offset);
    } catch (error) {
      if ((error as { code?: unknown }).code !== LOG_ERROR.offsetOutOfRange) throw error;
      // Records before the log's start are gone: at-least-once from there is all that is left.
      this.deps.logger.warn('partition_offset_out_of_range', { partition, offset, err: error });
    }
  }

  /** Idle partitions: event time moves on with the clock, sessions close, state is saved. */
  private tick(): void {
    const now = this.deps.clock.now();
    for (const [partition, state] of this.partitions) {
      void serially(state, async () => {
        // Released meanwhile: closing sessions here would emit outputs no checkpoint covers.
        if (!this.owns(partition, state)) return;
        throwSaveFailure(state);
        if (state.caughtUp && state.sessionizer.advanceTime(now) > 0)
          state.sessionizerChanged = true;
        if (now - state.lastCheckpointAt >= this.options.checkpointIntervalMs) {
          this.saveInBackground(partition, state);
        }
      }).catch((error: unknown) => {
        this.deps.logger.warn('partition_tick_failed', { partition, err: error });
      });
    }
    this.updateGauge();
  }

  private updateGauge(): void {
    openSessionsGauge.set(this.openSessions());
  }
}
