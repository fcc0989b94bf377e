import type { Admin, Consumer, EachBatchPayload, IMemberAssignment, Kafka } from 'kafkajs';
import { toError, type Logger } from '../../../core/index.js';
import { BatchState } from '../batch-state.js';
import type {
  ConsumeOptions,
  LogConsumer,
  PartitionHandler,
  PartitionLag,
  RecordBatch,
} from '../event-log.js';
import { isFatalHandlerError } from '../handler-errors.js';
import { assertOffset, notOwned } from '../log-errors.js';
import { batchFailures, consumedRecords, consumerLag, consumerRestarts } from '../log-metrics.js';
import { Notifier } from '../notifier.js';
import { PartitionOwnership } from '../partition-ownership.js';
import { isRebalanceInProgress, toAdminError, toCommitError } from './kafka-errors.js';
import { fetchGroupOffsets, partitionLag } from './kafka-lag.js';
import type { ResolvedKafkaLogOptions } from './kafka-options.js';
import { toLogRecord } from './kafka-records.js';

export interface KafkaConsumerDeps {
  readonly kafka: Kafka;
  readonly admin: () => Promise<Admin>;
  readonly options: ResolvedKafkaLogOptions;
  readonly logger: Logger;
  /** Called once the consumer has closed (the log forgets it). */
  readonly onClosed: () => void;
}

/** Why a batch loop stopped early and what kafkajs must be told. */
interface Interruption {
  readonly error: unknown;
  /** REBALANCE_IN_PROGRESS: the group waits for us, so onRevoked may still flush and commit. */
  readonly revoke: boolean;
}

/**
 * A member of a Kafka consumer group, on kafkajs's `eachBatch` with manual offsets
 * (`autoCommit: false`, `eachBatchAutoResolve: false`): an offset is resolved — the fetch
 * position moves — only after the handler returned for it, and committed only when the caller
 * says its effects are durable.
 *
 * Assignment callbacks. kafkajs (classic, eager protocol) has no revocation callback, so they
 * are derived:
 * - GROUP_JOIN carries this member's new assignment: `onAssigned(all of it)`, and no batch of
 *   those partitions is handled before it resolves (each batch first waits for pending
 *   callbacks, heartbeating meanwhile).
 * - Revocation in band: after each chunk of a batch the member heartbeats; when the broker
 *   answers REBALANCE_IN_PROGRESS the group is waiting for this member to rejoin, and kafkajs
 *   cannot rejoin before eachBatch returns. So the remaining chunks are skipped, the batches in
 *   flight finish, `onRevoked(all owned)` runs while the partitions are still ours (commits
 *   are accepted in that phase), and only then is the error handed to kafkajs, which rejoins.
 * - Lost: a rebalance noticed by kafkajs itself (while idle, or in its own heartbeat after a
 *   batch), a crash and restart, or a dropped membership gives us no such window; at the next
 *   GROUP_JOIN (or CRASH) partitions still owned are reported `onLost` — another member may
 *   have taken them and restored the last checkpoint — before the new set is assigned.
 * Every path ends in the same state: all partitions released, then the new set assigned, as in
 * the eager protocol (a partition kept by this member is revoked and assigned again; kafkajs
 * restarts it from the committed offset either way).
 *
 * Crashes: kafkajs retries a failing fetch loop, then restarts the consumer
 * (`retry.restartOnFailure`, declined only while closing); the CRASH event is logged and
 * counted. An error kafkajs does not restart from (a handler's programmer error or
 * `retriable: false`) fails the consumer: onLost, then `onFailure`.
 */
export class KafkaLogConsumer {
  readonly api: LogConsumer;
  private readonly topic: string;
  private readonly group: string;
  private readonly handler: PartitionHandler;
  private readonly options: ConsumeOptions;
  private readonly maxBatchRecords: number;
  private readonly deps: KafkaConsumerDeps;
  private readonly logger: Logger;
  private consumer: Consumer | undefined;
  private readonly unsubscribe: Array<() => void> = [];

  private readonly ownership: PartitionOwnership;
  private pausedAll = false;
  private readonly paused = new Set<number>();
  private joined = false;

  /** Partition callbacks run one after another on this chain. */
  private transitions: Promise<void> = Promise.resolve();
  private pendingTransitions = 0;
  private inFlight = 0;
  private readonly flights = new Set<BatchState>();
  private readonly landed = new Notifier();
  private interruption: Interruption | undefined;
  private revocation: Promise<void> | undefined;
  private closing = false;
  private closed: Promise<void> | undefined;
  private failed = false;

  constructor(options: ConsumeOptions, maxBatchRecords: number, deps: KafkaConsumerDeps) {
    this.topic = options.topic;
    this.group = options.group;
    this.handler = options.handler;
    this.options = options;
    this.maxBatchRecords = maxBatchRecords;
    this.deps = deps;
    this.logger = deps.logger.child({ topic: options.topic, group: options.group });
    this.api = {
      commit: (partition, nextOffset) => this.commit(partition, nextOffset),
      seek: (partition, offset) => this.seek(partition, offset),
      pause: (partitions) => this.pause(partitions),
      resume: (partitions) => this.resume(partitions),
      assigned: () => this.ownership.list(),
      lag: () => this.lag(),
      close: () => this.close(),
    };
    this.ownership = new PartitionOwnership({
      handler: this.handler,
      consumer: this.api,
      logger: this.logger,
      labels: { transport: 'kafka', topic: options.topic, group: options.group },
      retryInitialMs: 200,
      retryMaxMs: 2_000,
    });
  }

  /** Connects, subscribes, runs; resolves once the first assignment's onAssigned finished. */
  async start(): Promise<void> {
    const { options } = this.deps;
    const consumer = this.deps.kafka.consumer({
      groupId: this.group,
      sessionTimeout: options.sessionTimeoutMs,
      rebalanceTimeout: options.rebalanceTimeoutMs,
      heartbeatInterval: options.heartbeatIntervalMs,
      maxWaitTimeInMs: options.maxWaitTimeMs,
      allowAutoTopicCreation: false,
      retry: {
        initialRetryTime: 300,
        maxRetryTime: 5_000,
        retries: 5,
        restartOnFailure: (error) => {
          this.logger.warn('log_consumer_restart_decision', {
            restart: !this.closing,
            err: error,
          });
          return Promise.resolve(!this.closing);
        },
      },
    });
    this.consumer = consumer;
    this.unsubscribe.push(
      consumer.on(consumer.events.GROUP_JOIN, (event) =>
        this.onGroupJoin(event.payload.memberAssignment, event.payload.memberId),
      ),
      consumer.on(consumer.events.CRASH, (event) =>
        this.onCrash(toError(event.payload.error), event.payload.restart),
      ),
      consumer.on(consumer.events.REBALANCING, (event) =>
        this.logger.info('log_group_rebalancing', { memberId: event.payload.memberId }),
      ),
    );
    try {
      await consumer.connect();
      await consumer.subscribe({
        topics: [this.topic],
        fromBeginning: this.options.fromBeginning ?? false,
      });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: options.partitionsConsumedConcurrently,
        eachBatch: (payload) => this.eachBatch(payload),
      });
    } catch (error) {
      await this.close().catch((closeError: unknown) =>
        this.logger.warn('log_consumer_close_failed', { err: toError(closeError) }),
      );
      throw toAdminError(error, `joining group ${this.group} on ${this.topic}`);
    }
    await this.transitions;
  }

  async commit(partition: number, nextOffset: number): Promise<void> {
    assertOffset(nextOffset, 'nextOffset');
    const consumer = this.consumer;
    if (!this.ownership.has(partition) || consumer === undefined)
      throw notOwned(this.topic, partition);
    try {
      // NOTE: kafkajs drops a commit silently while its runner is stopped (between a crash and
      // the restart). The partition is reported lost right after, so at worst records are
      // delivered again from the previous commit: at-least-once holds.
      await consumer.commitOffsets([{ topic: this.topic, partition, offset: String(nextOffset) }]);
    } catch (error) {
      throw toCommitError(error, this.topic, partition);
    }
  }

  seek(partition: number, offset: number): void {
    assertOffset(offset, 'offset');
    const consumer = this.consumer;
    if (!this.ownership.has(partition) || consumer === undefined)
      throw notOwned(this.topic, partition);
    consumer.seek({ topic: this.topic, partition, offset: String(offset) });
    for (const flight of this.flights) if (flight.partition === partition) flight.markStale();
  }

  pause(partitions?: readonly number[]): void {
    if (partitions === undefined) {
      this.pausedAll = true;
      this.paused.clear();
    } else {
      for (const partition of partitions) this.paused.add(partition);
    }
    this.applyPause();
  }

  resume(partitions?: readonly number[]): void {
    if (partitions === undefined) {
      this.pausedAll = false;
      this.paused.clear();
    } else {
      for (const partition of partitions) this.paused.delete(partition);
    }
    this.applyPause();
  }

  async lag(): Promise<readonly PartitionLag[]> {
    let lag: PartitionLag[];
    try {
      lag = partitionLag(await fetchGroupOffsets(await this.deps.admin(), this.group, this.topic));
    } catch (error) {
      throw toAdminError(error, `reading the lag of ${this.group} on ${this.topic}`);
    }
    for (const entry of lag) {
      consumerLag.set(
        { topic: this.topic, group: this.group, partition: String(entry.partition) },
        entry.lag,
      );
    }
    return lag;
  }

  close(): Promise<void> {
    this.closed ??= this.shutdown().finally(() => this.deps.onClosed());
    return this.closed;
  }

  private async shutdown(): Promise<void> {
    this.closing = true;
    const consumer = this.consumer;
    if (consumer === undefined) return;
    // Stop fetching (so kafkajs does not spin on batches we now skip), let the batches in
    // flight end early, then revoke while still a member so the handler can flush and commit.
    this.applyPause(true);
    for (const flight of this.flights) flight.markStale();
    await this.enqueue(async () => {
      await this.drain();
      await this.release('revoked');
    });
    try {
      await consumer.disconnect();
    } finally {
      for (const unsubscribe of this.unsubscribe.splice(0)) unsubscribe();
    }
  }

  private onGroupJoin(assignment: IMemberAssignment, memberId: string): void {
    const partitions = [...(assignment[this.topic] ?? [])].sort((a, b) => a - b);
    this.joined = true;
    // A new generation: whatever interrupted the previous one has been dealt with by kafkajs.
    this.interruption = undefined;
    this.revocation = undefined;
    // kafkajs keeps pauses across rejoins but not across a restart after a crash.
    this.applyPause();
    this.logger.info('log_group_joined', { memberId, partitions });
    void this.enqueue(async () => {
      // Still owned here means not revoked in band: someone else may have them by now.
      await this.release('lost');
      if (this.closing || this.failed) return;
      await this.assign(partitions);
    });
  }

  private onCrash(error: Error, restart: boolean): void {
    this.joined = false;
    this.interruption = undefined;
    this.revocation = undefined;
    consumerRestarts.inc({ transport: 'kafka', group: this.group, restart: String(restart) });
    const quiet = this.closing && !restart;
    if (quiet) this.logger.info('log_consumer_stopped_on_close', { err: error });
    else this.logger.error('log_consumer_crashed', { restart, err: error });
    void this.enqueue(async () => {
      await this.release('lost');
    });
    if (!restart && !this.closing) this.fail(error);
  }

  /**
   * Stops for good: the partitions go to the other members, the owner hears of it. The
   * disconnect is not awaited on the callback chain: kafkajs's stop waits for the batch in
   * flight, which may itself be waiting for that chain.
   */
  private fail(error: Error): void {
    if (this.failed) return;
    this.failed = true;
    this.logger.error('log_consumer_failed', { err: error });
    void this.enqueue(async () => {
      await this.release('lost');
      this.options.onFailure?.(error);
    });
    this.consumer
      ?.disconnect()
      .catch((disconnectError: unknown) =>
        this.logger.warn('log_consumer_disconnect_failed', { err: toError(disconnectError) }),
      );
  }

  private async eachBatch(payload: EachBatchPayload): Promise<void> {
    await this.gate(payload);
    const { batch } = payload;
    const partition = batch.partition;
    if (
      this.closing ||
      this.failed ||
      this.interruption !== undefined ||
      !this.ownership.has(partition) ||
      payload.isStale()
    ) {
      // Not resolved: kafkajs fetches these records again from the right place.
      return this.settleInterruption();
    }
    this.inFlight++;
    try {
      await this.handleChunks(payload, partition);
    } catch (error) {
      batchFailures.inc({ transport: 'kafka', topic: this.topic, group: this.group });
      this.logger.warn('log_batch_failed', {
        partition,
        offset: batch.firstOffset(),
        fatal: isFatalHandlerError(error),
        err: toError(error),
      });
      // kafkajs redelivers from the last resolved offset, or crashes on a fatal error.
      throw error;
    } finally {
      this.inFlight--;
      this.landed.notify();
    }
    return this.settleInterruption();
  }

  /** Hands the batch to the handler in chunks of at most maxBatchRecords. */
  private async handleChunks(payload: EachBatchPayload, partition: number): Promise<void> {
    const { batch } = payload;
    const messages = batch.messages;
    const highWatermark = Number(batch.highWatermark);
    for (let start = 0; start < messages.length; start += this.maxBatchRecords) {
      const chunk = messages.slice(start, start + this.maxBatchRecords);
      const last = chunk[chunk.length - 1];
      if (last === undefined) break;
      const records = chunk.map((message) => toLogRecord(this.topic, partition, message));
      const recordBatch: RecordBatch = {
        topic: this.topic,
        partition,
        records,
        nextOffset: Number(last.offset) + 1,
        highWatermark,
      };
      const state: BatchState = new BatchState(this.api, partition, () =>
        this.heartbeat(payload, state),
      );
      this.flights.add(state);
      try {
        await this.handler.onBatch(recordBatch, state);
      } finally {
        this.flights.delete(state);
      }
      if (state.isStale() || payload.isStale() || this.closing) return;
      payload.resolveOffset(last.offset);
      consumedRecords.inc(
        { transport: 'kafka', topic: this.topic, group: this.group },
        records.length,
      );
      // The in-band rebalance check: cheap unless a heartbeat is due.
      await this.heartbeat(payload, undefined);
      if (this.interruption !== undefined) return;
    }
  }

  /** A heartbeat that never throws into the handler: it records the interruption instead. */
  private async heartbeat(payload: EachBatchPayload, state: BatchState | undefined): Promise<void> {
    if (this.interruption === undefined) {
      try {
        await payload.heartbeat();
      } catch (error) {
        this.interruption ??= { error, revoke: isRebalanceInProgress(error) };
        this.logger.info('log_batch_interrupted', {
          revoke: this.interruption.revoke,
          err: toError(error),
        });
      }
    }
    if (this.interruption !== undefined) {
      for (const flight of this.flights) flight.markStale();
    }
    if (state !== undefined && payload.isStale()) state.markStale();
  }

  /**
   * After a batch: if a heartbeat was refused, revoke in band when the group still waits for
   * us, then hand the error to kafkajs so it rejoins or recovers.
   */
  private async settleInterruption(): Promise<void> {
    const interruption = this.interruption;
    if (interruption === undefined) return;
    if (interruption.revoke) {
      this.revocation ??= this.enqueue(async () => {
        await this.drain();
        await this.release('revoked');
      });
      await this.revocation;
    } else {
      // Membership or coordinator trouble: kafkajs decides; a GROUP_JOIN will follow if needed.
      this.interruption = undefined;
    }
    throw interruption.error;
  }

  /** Waits for pending partition callbacks before a batch is handled, heartbeating meanwhile. */
  private async gate(payload: EachBatchPayload): Promise<void> {
    while (this.pendingTransitions > 0) {
      const settled = await settledWithin(this.transitions, this.deps.options.heartbeatIntervalMs);
      if (!settled) await this.heartbeat(payload, undefined);
    }
  }

  private async drain(): Promise<void> {
    while (this.inFlight > 0) await this.landed.wait();
  }

  private enqueue(step: () => Promise<void>): Promise<void> {
    this.pendingTransitions++;
    const run = this.transitions.then(step).finally(() => {
      this.pendingTransitions--;
    });
    this.transitions = run.catch((error: unknown) =>
      this.logger.error('log_partition_transition_failed', { err: toError(error) }),
    );
    return run;
  }

  private async assign(partitions: readonly number[]): Promise<void> {
    try {
      await this.ownership.assign(partitions);
      this.logger.info('log_partitions_assigned', { partitions });
    } catch (error) {
      // Without its state restored the member cannot process these partitions correctly.
      this.fail(toError(error));
    }
  }

  private async release(mode: 'revoked' | 'lost'): Promise<void> {
    const partitions = this.ownership.list();
    if (partitions.length === 0) return;
    await this.ownership.release(mode);
    this.logger.info(`log_partitions_${mode}`, { partitions });
  }

  /** Applies our pause state to kafkajs (which forgets it when it restarts after a crash). */
  private applyPause(all = this.pausedAll): void {
    const consumer = this.consumer;
    if (consumer === undefined || !this.joined) return;
    try {
      consumer.resume([{ topic: this.topic }]);
      if (all) consumer.pause([{ topic: this.topic }]);
      else if (this.paused.size > 0)
        consumer.pause([{ topic: this.topic, partitions: [...this.paused] }]);
    } catch (error) {
      // Between a crash and the restart kafkajs has no group to pause; the next join reapplies.
      this.logger.debug('log_pause_deferred', { err: toError(error) });
    }
  }
}

/** Whether `promise` settled within `ms` (its outcome is someone else's to handle). */
function settledWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    promise.then(
      () => {
        clearTimeout(timer);
        resolve(true);
      },
      () => {
        clearTimeout(timer);
        resolve(true);
      },
    );
  });
}
