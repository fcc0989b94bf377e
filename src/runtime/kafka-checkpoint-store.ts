import { randomUUID } from 'node:crypto';
import {
  LifecycleGuard,
  PathcastError,
  TransientError,
  counter,
  type Lifecycle,
  type Logger,
} from '../core/index.js';
import {
  recordBytesOf,
  type EventLog,
  type LogConsumer,
  type RecordBatch,
} from '../ingest/index.js';
import { encodeCheckpoint, type Checkpoint, type CheckpointStore } from './checkpoint-store.js';
import {
  addressKey,
  assembleSlot,
  chunkKey,
  decodeChunk,
  encodeChunks,
  isCorrupt,
  parseChunkKey,
  type CheckpointAddress,
  type Chunk,
  type CorruptChunk,
  type Slot,
} from './kafka-checkpoint-store-format.js';

/** Tuning of the Kafka checkpoint store; every field optional. */
export interface KafkaCheckpointStoreOptions {
  /**
   * Most checkpoint bytes in one record. Default 256 KiB: with its header, and with other
   * records the producer may coalesce into the same request, a chunk stays far below the
   * broker's default `message.max.bytes` (1 MiB per record batch), so the topic needs no
   * raised limit and any state size fits.
   */
  readonly chunkBytes?: number;
  /** How long `load` waits for the reader to reach the topic's end. Default 60 s. */
  readonly catchUpTimeoutMs?: number;
  /** Prefix of the reader's own consumer group (a unique suffix is added). */
  readonly readerGroupPrefix?: string;
}

export interface KafkaCheckpointStoreDeps {
  readonly log: EventLog;
  /** The compacted checkpoints topic (`topicNames(prefix).checkpoints`), created beforehand. */
  readonly topic: string;
  readonly logger: Logger;
}

const DEFAULTS = {
  chunkBytes: 256 * 1024,
  catchUpTimeoutMs: 60_000,
  readerGroupPrefix: 'pathcast.checkpoint-reader',
};

/** The latest record of each chunk key of one partition's checkpoints, by slot. */
interface PartitionRecords {
  readonly slots: [Map<number, Chunk | CorruptChunk>, Map<number, Chunk | CorruptChunk>];
  /** Highest sequence number in any chunk seen, torn ones included. */
  maxSeq: number;
}

/** The slot and sequence of a partition's latest complete checkpoint. */
interface Latest {
  readonly slot: Slot;
  readonly seq: number;
}

/** Called with each newer complete checkpoint of a followed address, and its sequence. */
export type CheckpointListener = (checkpoint: Checkpoint, seq: number) => void;

interface Follower {
  readonly listener: CheckpointListener;
  /** Sequence of the last checkpoint handed to the listener. */
  seq: number;
}

const invalidSlots = counter(
  'pathcast_checkpoint_slots_invalid_total',
  'Checkpoint slots found torn or corrupt on restore (never applied)',
);
const checkpointBytes = counter(
  'pathcast_checkpoint_bytes_written_total',
  'Bytes of checkpoints written to the checkpoints topic',
);

/**
 * Partition checkpoints on a compacted topic of the event log (the distributed shape), as Kafka
 * Streams keeps state in changelog topics. The record layout (two alternating slots, chunks,
 * digests) is described in kafka-checkpoint-store-format.ts.
 *
 * Reading: the store follows the whole topic from its start with a consumer group of its own
 * (never committed, so every start reads everything again) and keeps the latest record of every
 * key in memory, as compaction would. `load` first waits until the reader has reached the end
 * offsets the topic has at that moment, so a checkpoint saved by the previous owner of a
 * partition (durable, acks = all, before it gave the partition up) is always seen.
 *
 * NOTE: memory holds the latest chunks of every partition of the topic (both slots), about twice
 * the group's total checkpoint size. Writers are not fenced: a member that lost a partition must
 * stop saving it (PartitionPipeline checks ownership before every save).
 */
export class KafkaCheckpointStore implements CheckpointStore, Lifecycle {
  private readonly deps: KafkaCheckpointStoreDeps;
  private readonly options: typeof DEFAULTS;
  private readonly logger: Logger;
  private readonly guard: LifecycleGuard;
  private reader: LogConsumer | undefined;
  private readonly records = new Map<string, PartitionRecords>();
  /** Next offset the reader will see, per partition of the checkpoints topic. */
  private readonly positions = new Map<number, number>();
  private waiters: Array<() => void> = [];
  /** The latest complete checkpoint of partitions this process loaded or saved. */
  private readonly latest = new Map<string, Latest>();
  /** Saves run one at a time, so one chunk at most is on its way to the broker. */
  private saving: Promise<void> = Promise.resolve();
  /** Listeners of follow(), by address key. */
  private readonly followers = new Map<string, Set<Follower>>();

  constructor(deps: KafkaCheckpointStoreDeps, options: KafkaCheckpointStoreOptions = {}) {
    this.deps = deps;
    this.options = { ...DEFAULTS, ...definedOnly(options) };
    if (!Number.isSafeInteger(this.options.chunkBytes) || this.options.chunkBytes < 1) {
      throw new RangeError(`chunkBytes must be a positive integer, got ${this.options.chunkBytes}`);
    }
    this.logger = deps.logger.child({ component: 'checkpoints', topic: deps.topic });
    this.guard = new LifecycleGuard(
      'kafka checkpoint store',
      () => this.onStart(),
      () => this.onClose(),
    );
  }

  /** Joins the reader's own group on the checkpoints topic and starts following it. */
  start(): Promise<void> {
    return this.guard.start();
  }

  close(): Promise<void> {
    return this.guard.close();
  }

  async load(topic: string, group: string, partition: number): Promise<Checkpoint | undefined> {
    this.guard.assertRunning();
    await this.catchUp();
    const address = { topic, group, partition };
    const key = addressKey(address);
    const records = this.records.get(key);
    if (records === undefined) {
      this.latest.delete(key);
      return undefined;
    }
    let best: { slot: Slot; seq: number; checkpoint: Checkpoint } | undefined;
    const rejected: string[] = [];
    for (const slot of [0, 1] as const) {
      if (records.slots[slot].size === 0) continue;
      const assembled = assembleSlot(records.slots[slot]);
      if (!assembled.ok) {
        rejected.push(`slot ${slot}: ${assembled.reason}`);
        continue;
      }
      if (best === undefined || assembled.seq > best.seq) {
        best = { slot, seq: assembled.seq, checkpoint: assembled.checkpoint };
      }
    }
    if (rejected.length > 0) {
      invalidSlots.inc(rejected.length);
      // A torn slot newer than the one restored is the expected trace of a crash mid-save.
      this.logger.warn('checkpoint_slot_invalid', {
        partition,
        group,
        rejected,
        restoredSeq: best?.seq ?? null,
      });
    }
    if (best === undefined) {
      this.latest.delete(key);
      throw new PathcastError(
        'checkpoint_corrupt',
        `no readable checkpoint of ${topic}/${partition} for group ${group}: ${rejected.join('; ')}`,
        { details: { topic, group, partition, rejected } },
      );
    }
    this.latest.set(key, { slot: best.slot, seq: best.seq });
    return best.checkpoint;
  }

  /**
   * Calls `listener` with every complete checkpoint of one address newer than the last it was
   * given, as the reader sees it: at once with the newest already read, then as writers save
   * (any process's). A slot being written (torn) is skipped silently until it is complete.
   * Returns the unsubscribe function. For state that every process serves and one process
   * writes (the live model on the models topic).
   */
  follow(
    topic: string,
    group: string,
    partition: number,
    listener: CheckpointListener,
  ): () => void {
    const key = addressKey({ topic, group, partition });
    const follower: Follower = { listener, seq: 0 };
    let set = this.followers.get(key);
    if (set === undefined) {
      set = new Set();
      this.followers.set(key, set);
    }
    set.add(follower);
    this.notify(key, [follower]);
    return () => {
      set.delete(follower);
      if (set.size === 0 && this.followers.get(key) === set) this.followers.delete(key);
    };
  }

  save(topic: string, group: string, partition: number, checkpoint: Checkpoint): Promise<void> {
    this.guard.assertRunning();
    const run = this.saving.then(() => this.write({ topic, group, partition }, checkpoint));
    this.saving = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  private async write(address: CheckpointAddress, checkpoint: Checkpoint): Promise<void> {
    const key = addressKey(address);
    const known = this.latest.get(key);
    // The slot NOT holding the latest complete checkpoint: a torn write leaves that one whole.
    const slot: Slot = known === undefined ? 0 : known.slot === 0 ? 1 : 0;
    const seq = Math.max(known?.seq ?? 0, this.records.get(key)?.maxSeq ?? 0) + 1;
    const encoded = encodeCheckpoint(checkpoint);
    const chunks = encodeChunks(encoded, slot, seq, this.options.chunkBytes);
    for (const [index, value] of chunks.entries()) {
      // One produce per chunk, each acknowledged (acks = all) before the next: requests stay
      // small, and the chunks land in order.
      await this.deps.log.produce(this.deps.topic, [
        { key: chunkKey(address, slot, index), value },
      ]);
    }
    checkpointBytes.inc(encoded.length);
    this.latest.set(key, { slot, seq });
  }

  private async onStart(): Promise<void> {
    this.reader = await this.deps.log.consume({
      topic: this.deps.topic,
      group: `${this.options.readerGroupPrefix}.${randomUUID()}`,
      fromBeginning: true,
      handler: {
        onAssigned: async (partitions, ctx) => {
          // After a restart of the reader: go on from what is already read.
          for (const partition of partitions) {
            const position = this.positions.get(partition) ?? 0;
            if (position > 0) ctx.consumer.seek(partition, position);
          }
        },
        onBatch: async (batch) => this.apply(batch),
      },
      onFailure: (error) => this.logger.error('checkpoint_reader_failed', { err: error }),
    });
  }

  private async onClose(): Promise<void> {
    const reader = this.reader;
    this.reader = undefined;
    await this.saving;
    if (reader !== undefined) await reader.close();
    this.wake();
  }

  private apply(batch: RecordBatch): void {
    const from = this.positions.get(batch.partition) ?? 0;
    const touched = new Set<string>();
    for (const record of batch.records) {
      if (record.offset < from) continue;
      const key = parseChunkKey(record.key);
      if (key === undefined) {
        this.logger.debug('checkpoint_record_foreign', { offset: record.offset, key: record.key });
        continue;
      }
      const address = addressKey(key);
      let records = this.records.get(address);
      if (records === undefined) {
        records = { slots: [new Map(), new Map()], maxSeq: 0 };
        this.records.set(address, records);
      }
      const chunk = decodeChunk(recordBytesOf(record.value));
      if (!isCorrupt(chunk) && chunk.seq > records.maxSeq) records.maxSeq = chunk.seq;
      records.slots[key.slot].set(key.chunk, chunk);
      if (this.followers.has(address)) touched.add(address);
    }
    if (batch.nextOffset > from) this.positions.set(batch.partition, batch.nextOffset);
    for (const address of touched) this.notify(address, [...(this.followers.get(address) ?? [])]);
    this.wake();
  }

  /** Hands the newest complete checkpoint of an address to followers that have not had it. */
  private notify(address: string, followers: readonly Follower[]): void {
    const records = this.records.get(address);
    if (records === undefined || followers.length === 0) return;
    let best: { seq: number; checkpoint: Checkpoint } | undefined;
    for (const slot of [0, 1] as const) {
      if (records.slots[slot].size === 0) continue;
      const assembled = assembleSlot(records.slots[slot]);
      if (assembled.ok && (best === undefined || assembled.seq > best.seq)) best = assembled;
    }
    if (best === undefined) return;
    for (const follower of followers) {
      if (best.seq <= follower.seq) continue;
      follower.seq = best.seq;
      try {
        follower.listener(best.checkpoint, best.seq);
      } catch (error) {
        this.logger.error('checkpoint_listener_failed', { err: error, seq: best.seq });
      }
    }
  }

  /** Waits until the reader has read every record the topic holds now. */
  private async catchUp(): Promise<void> {
    const reader = this.reader;
    if (reader === undefined) throw new TransientError('checkpoint_store_closed', 'closed');
    const ends = await reader.lag();
    const deadline = Date.now() + this.options.catchUpTimeoutMs;
    const behind = (): number =>
      ends.reduce(
        (sum, { partition, end }) => sum + Math.max(0, end - (this.positions.get(partition) ?? 0)),
        0,
      );
    for (;;) {
      const left = behind();
      if (left === 0) return;
      const remaining = deadline - Date.now();
      if (remaining <= 0 || this.reader === undefined) {
        throw new TransientError(
          'checkpoint_store_unavailable',
          `the checkpoint reader is ${left} records behind ${this.deps.topic}`,
          { details: { topic: this.deps.topic, behind: left } },
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(remaining, 1_000));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}

function definedOnly<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(options).filter(([, value]) => value !== undefined),
  ) as Partial<T>;
}
