import {
  CounterChildren,
  LifecycleGuard,
  closeAll,
  systemClock,
  type Clock,
  type Logger,
} from '../../../core/index.js';
import {
  assertTopicSpecs,
  type ConsumeOptions,
  type EventLog,
  type LogConsumer,
  type ProducerRecord,
  type TopicSpec,
} from '../event-log.js';
import { errorCode, logUnavailable, unknownTopic } from '../log-errors.js';
import { produceFailures, produceSeconds, producedRecords } from '../log-metrics.js';
import { MemoryConsumer } from './memory-consumer.js';
import { MemoryGroup } from './memory-group.js';
import { MemoryTopic } from './memory-topic.js';

// Metrics of every produce call (one for each request the collector takes), found once.
const produceTiming = produceSeconds.labels({ transport: 'memory' });
const producedByTopic = new CounterChildren(producedRecords);

/** Tuning of the in-memory log; every field optional, defaults below. */
export interface MemoryLogOptions {
  /** Records a partition retains before producers wait. Default 200,000. */
  readonly maxRecordsPerPartition?: number;
  /** Approximate bytes a partition retains before producers wait. Default 64 MiB. */
  readonly maxBytesPerPartition?: number;
  /** How long produce() waits for room before `log_full`. Default 2,000 ms. */
  readonly produceWaitMs?: number;
  /** Default for ConsumeOptions.maxBatchRecords. Default 500. */
  readonly maxBatchRecords?: number;
  /** Backoff bounds after a failed batch, ms. Defaults 100 and 5,000. */
  readonly retryInitialMs?: number;
  readonly retryMaxMs?: number;
}

export interface MemoryLogConfig {
  readonly maxRecordsPerPartition: number;
  readonly maxBytesPerPartition: number;
  readonly produceWaitMs: number;
  readonly maxBatchRecords: number;
  readonly retryInitialMs: number;
  readonly retryMaxMs: number;
}

export interface MemoryLogDeps {
  readonly logger: Logger;
  readonly clock?: Clock;
}

const DEFAULTS: MemoryLogConfig = {
  maxRecordsPerPartition: 200_000,
  maxBytesPerPartition: 64 * 1024 * 1024,
  produceWaitMs: 2_000,
  maxBatchRecords: 500,
  retryInitialMs: 100,
  retryMaxMs: 5_000,
};

/** Resolves options into a complete config; throws RangeError naming a bad field. */
export function resolveMemoryLogConfig(options: MemoryLogOptions = {}): MemoryLogConfig {
  const config = { ...DEFAULTS };
  for (const key of Object.keys(DEFAULTS) as Array<keyof MemoryLogConfig>) {
    const value = options[key];
    if (value === undefined) continue;
    const min = key === 'produceWaitMs' || key === 'retryInitialMs' ? 0 : 1;
    if (!Number.isSafeInteger(value) || value < min) {
      throw new RangeError(`memory log option ${key} must be an integer >= ${min}, got ${value}`);
    }
    config[key] = value;
  }
  return config;
}

/**
 * The embedded event log: partitioned like Kafka (same partitioner), bounded, with consumer
 * groups, manual commits and rebalances inside one process. Nothing survives the process —
 * durability in the embedded shape comes from the checkpoints and ClickHouse, not from here —
 * so "durable" for produce() means "in the log and retained until every group committed it".
 */
export class MemoryEventLog implements EventLog {
  readonly kind = 'memory' as const;
  private readonly config: MemoryLogConfig;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly guard: LifecycleGuard;
  private readonly topics = new Map<string, MemoryTopic>();
  private readonly groups = new Map<string, MemoryGroup>();
  private readonly consumers = new Set<MemoryConsumer>();
  private memberCount = 0;

  constructor(options: MemoryLogOptions, deps: MemoryLogDeps) {
    this.config = resolveMemoryLogConfig(options);
    this.logger = deps.logger.child({ component: 'memory_log' });
    this.clock = deps.clock ?? systemClock;
    this.guard = new LifecycleGuard(
      'memory event log',
      () => Promise.resolve(),
      () => this.onClose(),
    );
  }

  start(): Promise<void> {
    return this.guard.start();
  }

  close(): Promise<void> {
    return this.guard.close();
  }

  async ensureTopics(specs: readonly TopicSpec[]): Promise<void> {
    this.guard.assertRunning();
    // All are checked before any is made: a bad spec leaves the log as it was.
    assertTopicSpecs(specs);
    for (const spec of specs) {
      const existing = this.topics.get(spec.name);
      if (existing === undefined) {
        const limits = {
          maxRecords: this.config.maxRecordsPerPartition,
          maxBytes: this.config.maxBytesPerPartition,
        };
        this.topics.set(spec.name, new MemoryTopic(spec.name, spec.partitions, limits, this.clock));
      } else if (existing.partitions.length !== spec.partitions) {
        this.logger.warn('log_topic_partitions_differ', {
          topic: spec.name,
          existing: existing.partitions.length,
          wanted: spec.partitions,
        });
      }
    }
  }

  async partitionsFor(topic: string): Promise<number> {
    return this.topic(topic).partitions.length;
  }

  async produce(topic: string, records: readonly ProducerRecord[]): Promise<void> {
    const started = performance.now();
    try {
      if (this.guard.state === 'closing' || this.guard.state === 'closed') {
        throw logUnavailable('the in-memory log is closed');
      }
      this.guard.assertRunning();
      await this.topic(topic).produce(records, this.config.produceWaitMs);
      producedByTopic.of(topic, { transport: 'memory', topic }).inc(records.length);
    } catch (error) {
      produceFailures.inc({ transport: 'memory', code: errorCode(error) });
      throw error;
    } finally {
      produceTiming.observe((performance.now() - started) / 1000);
    }
  }

  async consume(options: ConsumeOptions): Promise<LogConsumer> {
    this.guard.assertRunning();
    const maxBatchRecords = options.maxBatchRecords ?? this.config.maxBatchRecords;
    if (!Number.isInteger(maxBatchRecords) || maxBatchRecords < 1) {
      throw new RangeError(`maxBatchRecords must be >= 1, got ${maxBatchRecords}`);
    }
    const topic = this.topic(options.topic);
    const groupKey = `${options.topic}\u0000${options.group}`;
    let group = this.groups.get(groupKey);
    if (group === undefined) {
      group = new MemoryGroup(topic, options.group, this.logger);
      this.groups.set(groupKey, group);
    }
    this.memberCount++;
    const consumer = new MemoryConsumer(
      `${options.group}-${this.memberCount}`,
      topic,
      group,
      options,
      {
        maxBatchRecords,
        retryInitialMs: this.config.retryInitialMs,
        retryMaxMs: this.config.retryMaxMs,
        onClosed: () => this.consumers.delete(consumer),
      },
      this.logger,
    );
    this.consumers.add(consumer);
    await consumer.start();
    return consumer.api;
  }

  private topic(name: string): MemoryTopic {
    const topic = this.topics.get(name);
    if (topic === undefined) throw unknownTopic(name);
    return topic;
  }

  private async onClose(): Promise<void> {
    const closed = logUnavailable('the in-memory log is closing');
    for (const topic of this.topics.values()) topic.rejectWaiting(closed);
    // Consumers the owner forgot still get onRevoked, so their handlers can flush.
    const consumers = [...this.consumers];
    this.consumers.clear();
    await closeAll(consumers.map((c) => c.api));
  }
}
