import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import {
  CounterChildren,
  backoffDelay,
  sleep,
  toError,
  type CounterChild,
  type Logger,
} from '../../../core/index.js';
import { BatchState } from '../batch-state.js';
import type {
  ConsumeOptions,
  LogConsumer,
  PartitionHandler,
  PartitionLag,
  RecordBatch,
} from '../event-log.js';
import { isFatalHandlerError } from '../handler-errors.js';
import { assertOffset, notOwned, offsetOutOfRange } from '../log-errors.js';
import { batchFailures, consumedRecords, consumerLag } from '../log-metrics.js';
import { Notifier } from '../notifier.js';
import { PartitionOwnership } from '../partition-ownership.js';
import type { GroupMember, MemoryGroup } from './memory-group.js';
import type { MemoryTopic } from './memory-topic.js';

/** consumedRecords by (topic, group): bound once per pair, counted without label lookups. */
const consumedByGroup = new CounterChildren(consumedRecords);

export interface MemoryConsumerSettings {
  readonly maxBatchRecords: number;
  /** Called once the consumer has closed (the log forgets it). */
  readonly onClosed: () => void;
  /** Backoff after a failed batch: first bound and cap, ms. */
  readonly retryInitialMs: number;
  readonly retryMaxMs: number;
}

const NO_HEARTBEAT = (): Promise<void> => Promise.resolve();

/**
 * A member of a consumer group of the in-memory log. One delivery loop per member: it takes a
 * batch of the next partition with records (round-robin over its partitions, so none starves),
 * awaits the handler, and yields to the event loop between batches so producers, HTTP and
 * timers keep running under load.
 */
export class MemoryConsumer implements GroupMember {
  readonly id: string;
  /** What callers and callbacks see: the LogConsumer face, without the group's hooks. */
  readonly api: LogConsumer;
  private readonly topic: MemoryTopic;
  private readonly group: MemoryGroup;
  private readonly handler: PartitionHandler;
  private readonly options: ConsumeOptions;
  private readonly settings: MemoryConsumerSettings;
  private readonly logger: Logger;
  private readonly consumed: CounterChild;

  private readonly ownership: PartitionOwnership;
  private readonly positions = new Map<number, number>();
  private cursor = 0;
  private pausedAll = false;
  private readonly paused = new Set<number>();
  /** True while partitions change hands: nothing is delivered. */
  private handing = true;
  private flight: BatchState | undefined;
  private failures = 0;
  private backoff: AbortController | undefined;
  private stopped = false;
  private failed: Error | undefined;
  private readonly wake = new Notifier();
  private readonly landed = new Notifier();
  private loop: Promise<void> | undefined;
  private closing: Promise<void> | undefined;
  private unsubscribe: (() => void) | undefined;

  constructor(
    id: string,
    topic: MemoryTopic,
    group: MemoryGroup,
    options: ConsumeOptions,
    settings: MemoryConsumerSettings,
    logger: Logger,
  ) {
    this.id = id;
    this.topic = topic;
    this.group = group;
    this.handler = options.handler;
    this.options = options;
    this.settings = settings;
    this.logger = logger.child({ topic: topic.name, group: group.name, member: id });
    const labels = { transport: 'memory', topic: topic.name, group: group.name };
    this.consumed = consumedByGroup.of(JSON.stringify([topic.name, group.name]), labels);
    this.api = {
      commit: (partition, nextOffset) => this.commit(partition, nextOffset),
      seek: (partition, offset) => this.seek(partition, offset),
      pause: (partitions) => this.pause(partitions),
      resume: (partitions) => this.resume(partitions),
      assigned: () => this.assigned(),
      lag: () => this.lag(),
      close: () => this.close(),
    };
    this.ownership = new PartitionOwnership({
      handler: this.handler,
      consumer: this.api,
      logger: this.logger,
      labels: { transport: 'memory', topic: topic.name, group: group.name },
      retryInitialMs: settings.retryInitialMs,
      retryMaxMs: settings.retryMaxMs,
    });
  }

  /** Starts the delivery loop and joins the group; resolves once partitions are assigned. */
  async start(): Promise<void> {
    this.unsubscribe = this.topic.onAppend(() => this.wake.notify());
    this.loop = this.run();
    await this.group.join(this);
  }

  async commit(partition: number, nextOffset: number): Promise<void> {
    assertOffset(nextOffset, 'nextOffset');
    if (!this.ownership.has(partition)) throw notOwned(this.topic.name, partition);
    const log = this.topic.partition(partition);
    if (nextOffset < log.startOffset || nextOffset > log.endOffset) {
      throw offsetOutOfRange(this.topic.name, partition, nextOffset, {
        start: log.startOffset,
        end: log.endOffset,
      });
    }
    this.group.commit(partition, nextOffset);
  }

  seek(partition: number, offset: number): void {
    assertOffset(offset, 'offset');
    if (!this.ownership.has(partition)) throw notOwned(this.topic.name, partition);
    const log = this.topic.partition(partition);
    if (offset < log.startOffset || offset > log.endOffset) {
      throw offsetOutOfRange(this.topic.name, partition, offset, {
        start: log.startOffset,
        end: log.endOffset,
      });
    }
    this.positions.set(partition, offset);
    if (this.flight?.partition === partition) this.flight.markStale();
    this.wake.notify();
  }

  pause(partitions?: readonly number[]): void {
    if (partitions === undefined) {
      this.pausedAll = true;
      this.paused.clear();
      return;
    }
    for (const partition of partitions) this.paused.add(partition);
  }

  resume(partitions?: readonly number[]): void {
    if (partitions === undefined) {
      this.pausedAll = false;
      this.paused.clear();
    } else {
      for (const partition of partitions) this.paused.delete(partition);
    }
    this.wake.notify();
  }

  assigned(): readonly number[] {
    return this.ownership.list();
  }

  lag(): Promise<readonly PartitionLag[]> {
    const lag = this.group.lag();
    for (const entry of lag) {
      consumerLag.set(
        { topic: this.topic.name, group: this.group.name, partition: String(entry.partition) },
        entry.lag,
      );
    }
    return Promise.resolve(lag);
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      // Still a member while onRevoked runs, so the handler can flush and commit.
      try {
        await this.group.leave(this, 'revoked');
      } finally {
        this.stop();
        await this.loop;
        this.settings.onClosed();
      }
    })();
    return this.closing;
  }

  async giveUpAll(mode: 'revoked' | 'lost'): Promise<void> {
    this.handing = true;
    this.flight?.markStale();
    this.backoff?.abort();
    while (this.flight !== undefined) await this.landed.wait();
    await this.ownership.release(mode);
    this.positions.clear();
    this.cursor = 0;
  }

  async takeOver(partitions: readonly number[]): Promise<void> {
    if (this.stopped) return;
    this.cursor = 0;
    for (const partition of partitions) {
      this.positions.set(
        partition,
        this.group.startOffset(partition, this.options.fromBeginning ?? false),
      );
    }
    try {
      await this.ownership.assign(partitions);
    } catch (error) {
      // Without its state restored the member cannot process these partitions correctly.
      this.fail(toError(error));
      return;
    }
    this.handing = false;
    this.wake.notify();
  }

  private stop(): void {
    this.stopped = true;
    this.handing = true;
    this.backoff?.abort();
    this.wake.notify();
    this.unsubscribe?.();
  }

  /** Gives the partitions up as lost and tells the owner of the consumer. */
  private fail(error: Error): void {
    if (this.failed !== undefined || this.stopped) return;
    this.failed = error;
    this.logger.error('log_consumer_failed', { err: error });
    this.stop();
    this.group
      .leave(this, 'lost')
      .then(() => this.options.onFailure?.(error))
      .catch((leaveError: unknown) =>
        this.logger.error('log_consumer_leave_failed', { err: toError(leaveError) }),
      );
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const partition = this.nextPartition();
      if (partition === undefined) {
        await this.wake.wait();
        continue;
      }
      const delivered = await this.deliver(partition);
      if (delivered) {
        await yieldToEventLoop();
      } else {
        await this.waitBeforeRetry();
      }
    }
  }

  private nextPartition(): number | undefined {
    if (this.handing || this.pausedAll) return undefined;
    const owned = this.ownership.list();
    const count = owned.length;
    for (let i = 0; i < count; i++) {
      const index = (this.cursor + i) % count;
      const partition = owned[index]!;
      if (this.paused.has(partition)) continue;
      const position = this.positions.get(partition);
      if (position === undefined || position >= this.topic.partition(partition).endOffset) continue;
      this.cursor = (index + 1) % count;
      return partition;
    }
    return undefined;
  }

  /** One batch; false when the handler failed and the batch must be retried after a backoff. */
  private async deliver(partition: number): Promise<boolean> {
    const log = this.topic.partition(partition);
    const from = this.positions.get(partition) ?? log.endOffset;
    const records = log.read(from, this.settings.maxBatchRecords);
    const last = records[records.length - 1];
    if (last === undefined) return true;
    const batch: RecordBatch = {
      topic: this.topic.name,
      partition,
      records,
      nextOffset: last.offset + 1,
      highWatermark: log.endOffset,
    };
    const state = new BatchState(this.api, partition, NO_HEARTBEAT);
    this.flight = state;
    try {
      await this.handler.onBatch(batch, state);
      if (!state.isStale() && this.positions.get(partition) === from) {
        this.positions.set(partition, batch.nextOffset);
      }
      this.failures = 0;
      this.consumed.inc(records.length);
      return true;
    } catch (error) {
      batchFailures.inc({ transport: 'memory', topic: this.topic.name, group: this.group.name });
      if (isFatalHandlerError(error)) {
        this.fail(toError(error));
        return true;
      }
      this.failures++;
      this.logger.warn('log_batch_failed', {
        partition,
        offset: from,
        attempt: this.failures,
        err: toError(error),
      });
      return false;
    } finally {
      this.flight = undefined;
      this.landed.notify();
    }
  }

  private async waitBeforeRetry(): Promise<void> {
    const delay = backoffDelay(
      this.failures - 1,
      Math.random,
      this.settings.retryInitialMs,
      this.settings.retryMaxMs,
    );
    const controller = new AbortController();
    this.backoff = controller;
    try {
      await sleep(delay, controller.signal);
    } catch {
      // Aborted by a rebalance or close: the loop re-checks what it owns.
    } finally {
      this.backoff = undefined;
    }
  }
}
