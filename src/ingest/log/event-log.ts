/**
 * The event log: a partitioned, durable, replayable sequence of keyed records with consumer
 * groups, as Kafka provides it. Two transports implement it — Kafka (kafkajs) for the
 * distributed shape and an in-process log for the embedded default — so the pipeline code is
 * the same in both (DESIGN.md "two runtime shapes, one code path").
 *
 * Guarantees both transports give:
 * - key-based partitioning with Kafka's own DefaultPartitioner (murmur2), so a key lands on the
 *   same partition number whichever transport wrote it;
 * - per-partition order: a handler sees one partition's records in offset order, one batch at
 *   a time;
 * - at-least-once delivery with manual commits: the group's committed offset moves only when
 *   the caller says the effects up to it are durable; records after it are delivered again
 *   after a restart or a rebalance;
 * - assignment callbacks in the order of the classic (eager) Kafka protocol: at a rebalance a
 *   member gives up all its partitions (`onRevoked`, or `onLost` when it could not be asked in
 *   time), then receives its new set (`onAssigned`), even when that set contains some of the
 *   same partitions.
 *
 * Offsets are JavaScript numbers: exact up to 2^53, far beyond any partition's life.
 */
import type { Lifecycle } from '../../core/index.js';

/** What a producer writes. */
export interface ProducerRecord {
  /** Partitioning key; see `visitorKey` for the events topic. */
  readonly key: string;
  readonly value: string | Buffer;
  readonly headers?: Readonly<Record<string, string>>;
  /** Milliseconds since the epoch; the log's clock when absent. */
  readonly timestamp?: number;
}

/** What a consumer reads. */
export interface LogRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly key: string;
  /**
   * As produced: the in-memory log hands back the very string or bytes it was given (no
   * copy on either side), Kafka always gives bytes. Readers take both (`recordText`).
   */
  readonly value: Buffer | string;
  readonly headers: Readonly<Record<string, string>>;
  readonly timestamp: number;
}

/** A record's value as text (UTF-8 bytes decoded; a string as it is). */
export function recordText(value: Buffer | string): string {
  return typeof value === 'string' ? value : value.toString('utf8');
}

/** A record's value as bytes (a string encoded as UTF-8; bytes as they are). */
export function recordBytesOf(value: Buffer | string): Buffer {
  return typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
}

export interface TopicSpec {
  readonly name: string;
  readonly partitions: number;
  /**
   * Kafka: `cleanup.policy=compact` (latest record per key kept forever). The in-memory log
   * accepts and ignores it: nothing in the embedded shape relies on compaction.
   */
  readonly compacted?: boolean;
}

/** Throws a RangeError naming the first spec without a whole, positive partition count. */
export function assertTopicSpecs(specs: readonly TopicSpec[]): void {
  for (const spec of specs) {
    if (!Number.isInteger(spec.partitions) || spec.partitions < 1) {
      throw new RangeError(`topic ${spec.name}: partitions must be >= 1, got ${spec.partitions}`);
    }
  }
}

/** Records of ONE partition, in offset order, never empty. */
export interface RecordBatch {
  readonly topic: string;
  readonly partition: number;
  readonly records: readonly LogRecord[];
  /** The offset after the last record: what to commit once this batch's effects are durable. */
  readonly nextOffset: number;
  /** The partition's end offset when the batch was read; `highWatermark - nextOffset` = lag. */
  readonly highWatermark: number;
}

/** Given to every callback: the consumer it runs in (a batch may arrive before consume() returns). */
export interface ConsumerContext {
  readonly consumer: LogConsumer;
}

export interface BatchContext extends ConsumerContext {
  /**
   * Keeps the group membership alive during long work; call it every few seconds inside a long
   * batch. It never throws: when the group starts a rebalance or the partition was moved by
   * `seek`, it marks the batch stale instead (see `isStale`).
   */
  heartbeat(): Promise<void>;
  /**
   * True once the rest of this batch should not be processed: the partition is about to be
   * revoked, was lost, was `seek`ed elsewhere, or the consumer is closing. The handler may then
   * return early; records it did not process are delivered again (here or to the next owner),
   * so it must commit only what it really processed.
   */
  isStale(): boolean;
  /** Aborted when the batch becomes stale, to cancel waits inside the handler. */
  readonly signal: AbortSignal;
}

/**
 * The callbacks of one consumer. Calls are serialised: no two callbacks of a consumer overlap,
 * except `onBatch` for different partitions when the consumer runs partitions concurrently.
 */
export interface PartitionHandler {
  /**
   * These partitions are now this member's. Resolves before any batch of them is delivered:
   * restore state here, and `ctx.consumer.seek` to the checkpoint's offset when it differs
   * from the committed one.
   */
  onAssigned?(partitions: readonly number[], ctx: ConsumerContext): Promise<void>;
  /**
   * These partitions are about to go to another member (or to this one again, after the
   * rebalance). They are still owned while this runs: flush, checkpoint and `commit` here; no
   * batch of them is in flight.
   */
  onRevoked?(partitions: readonly number[], ctx: ConsumerContext): Promise<void>;
  /**
   * These partitions were taken away before the member could be asked (a crash and restart of
   * the consumer, a session timeout, a rebalance noticed while idle): another member may already
   * own them and have restored the last checkpoint. Drop state that is not checkpointed; do not
   * commit (commits of partitions not owned are refused). When absent, `onRevoked` is called
   * instead, as Kafka's Java client does.
   */
  onLost?(partitions: readonly number[], ctx: ConsumerContext): Promise<void>;
  /**
   * Records of one partition, in offset order. Returning means every record of the batch was
   * processed (unless the batch became stale); throwing means none is taken as processed: the
   * batch is delivered again after a backoff (a retriable error) or the consumer fails (an error
   * that says `retriable: false`, or a programmer error). Commit separately, when durable.
   */
  onBatch(batch: RecordBatch, ctx: BatchContext): Promise<void>;
}

export interface ConsumeOptions {
  readonly topic: string;
  readonly group: string;
  readonly handler: PartitionHandler;
  /**
   * Where a group with no committed offset starts on a partition: the oldest retained record
   * (true) or the end of the log (false, the default, as in Kafka).
   */
  readonly fromBeginning?: boolean;
  /** Most records in one `onBatch` call. Default 500. */
  readonly maxBatchRecords?: number;
  /**
   * Called once when the consumer stops for good on an error that restarting cannot fix (a
   * programmer error, a non-retriable error from the handler). The process should then exit or
   * report unready; the partitions go to the other members.
   */
  readonly onFailure?: (error: Error) => void;
}

export interface PartitionLag {
  readonly partition: number;
  /** The group's committed offset (next to read), or null when it never committed. */
  readonly committed: number | null;
  /** The log end offset: the offset the next record will get. */
  readonly end: number;
  /** Records after the committed offset (or after the log start when none). */
  readonly lag: number;
}

/** A member of a consumer group. */
export interface LogConsumer {
  /**
   * Commit `nextOffset` (the offset after the last durable record) for a partition this member
   * owns. Throws PathcastError `partition_not_owned` when the partition is not (or no longer)
   * this member's: its work will be redone by the owner from the owner's checkpoint.
   */
  commit(partition: number, nextOffset: number): Promise<void>;
  /**
   * Continue an owned partition from `offset` (in onAssigned: start there); a batch of it in
   * flight becomes stale.
   */
  seek(partition: number, offset: number): void;
  /** Stop fetching (all partitions, or those given); heartbeats go on. For backpressure. */
  pause(partitions?: readonly number[]): void;
  resume(partitions?: readonly number[]): void;
  /** Partitions this member owns now (assigned and not yet revoked or lost). */
  assigned(): readonly number[];
  /** Committed offsets and lag of the group on every partition of the topic, for /metrics. */
  lag(): Promise<readonly PartitionLag[]>;
  /** Revokes the member's partitions (onRevoked: flush and commit), then leaves the group. */
  close(): Promise<void>;
}

export interface EventLog extends Lifecycle {
  readonly kind: 'memory' | 'kafka';
  /** Creates missing topics; idempotent. An existing topic keeps its partition count (warned). */
  ensureTopics(specs: readonly TopicSpec[]): Promise<void>;
  /** The topic's partition count (the one keys are spread over). */
  partitionsFor(topic: string): Promise<number>;
  /**
   * Resolves only when every record is durable (Kafka: acks=all). Throws TransientError
   * `log_unavailable` when the log cannot take writes (the collector answers 503) and
   * `log_full` when a bounded log stayed full past the wait (backpressure, also a 503);
   * PathcastError `log_record_rejected` when Kafka refuses the records themselves (too large).
   * Records keep their order per key within a call and across calls awaited one after another.
   */
  produce(topic: string, records: readonly ProducerRecord[]): Promise<void>;
  /** Joins a consumer group on a topic; resolves once the member has joined. */
  consume(options: ConsumeOptions): Promise<LogConsumer>;
}
