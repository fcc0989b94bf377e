import type { Clock } from '../../../core/index.js';
import type { ProducerRecord } from '../event-log.js';
import { logFull } from '../log-errors.js';
import { memoryRetainedRecords, memoryWaitingProducers } from '../log-metrics.js';
import { partitionForKey } from '../partitioner.js';
import { PartitionLog, recordBytes, type PartitionLimits } from './partition-log.js';

const EMPTY_HEADERS: Readonly<Record<string, string>> = Object.freeze({});

/** A record ready to append: partition chosen, size known. */
interface PlannedRecord {
  readonly partition: number;
  readonly key: string;
  readonly value: Buffer | string;
  readonly headers: Readonly<Record<string, string>>;
  readonly timestamp: number;
  readonly bytes: number;
}

interface Need {
  count: number;
  bytes: number;
}

interface WaitingProducer {
  readonly planned: readonly PlannedRecord[];
  readonly needs: ReadonlyMap<number, Need>;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
  timer: NodeJS.Timeout | undefined;
}

/** What a group exposes to its topic: the offset below which it no longer needs records. */
export interface RetentionFloor {
  /** Undefined when the group holds nothing on this partition (never started there). */
  floor(partition: number): number | undefined;
}

/**
 * One topic of the in-memory log: its partitions, the producers waiting for room, and the
 * floors of the groups reading it. A record is released once every group's floor (committed
 * offset, or where it started) is past it; until then it counts against the bounds, and
 * producers wait — backpressure reaches the collector as `log_full` after the wait.
 */
export class MemoryTopic {
  readonly name: string;
  readonly partitions: readonly PartitionLog[];
  private readonly limits: PartitionLimits;
  private readonly clock: Clock;
  private readonly floors = new Set<RetentionFloor>();
  private readonly appendListeners = new Set<() => void>();
  // FIFO per topic, so a full topic (say failed-events) never holds up another one.
  private waiting: WaitingProducer[] = [];

  constructor(name: string, partitions: number, limits: PartitionLimits, clock: Clock) {
    this.name = name;
    this.partitions = Array.from({ length: partitions }, (_, p) => new PartitionLog(name, p));
    this.limits = limits;
    this.clock = clock;
  }

  partition(partition: number): PartitionLog {
    const log = this.partitions[partition];
    if (log === undefined) {
      throw new RangeError(`${this.name} has no partition ${partition}`);
    }
    return log;
  }

  addFloor(floor: RetentionFloor): void {
    this.floors.add(floor);
  }

  /** Called after every append; consumers use it to wake. Returns an unsubscribe. */
  onAppend(listener: () => void): () => void {
    this.appendListeners.add(listener);
    return () => this.appendListeners.delete(listener);
  }

  /**
   * Appends all records atomically once every partition they go to has room, waiting up to
   * `waitMs` behind earlier waiting producers; then rejects with `log_full`.
   */
  produce(records: readonly ProducerRecord[], waitMs: number): Promise<void> {
    if (records.length === 0) return Promise.resolve();
    const now = this.clock.now();
    const count = this.partitions.length;
    const planned: PlannedRecord[] = new Array<PlannedRecord>(records.length);
    const needs = new Map<number, Need>();
    for (let i = 0; i < records.length; i++) {
      const record = records[i]!;
      // Kept as given: nothing else holds it, and the reader takes a string as it is.
      const value = record.value;
      const headers = record.headers ?? EMPTY_HEADERS;
      const partition = partitionForKey(record.key, count);
      const bytes = recordBytes({ key: record.key, value, headers });
      planned[i] = {
        partition,
        key: record.key,
        value,
        headers,
        timestamp: record.timestamp ?? now,
        bytes,
      };
      const need = needs.get(partition);
      if (need === undefined) needs.set(partition, { count: 1, bytes });
      else {
        need.count++;
        need.bytes += bytes;
      }
    }
    if (this.waiting.length === 0 && this.fits(needs)) {
      this.append(planned);
      return Promise.resolve();
    }
    return this.wait(planned, needs, waitMs);
  }

  /** Releases what every group is done with, then lets waiting producers in. */
  release(partition: number): void {
    let floor: number | undefined;
    for (const group of this.floors) {
      const groupFloor = group.floor(partition);
      if (groupFloor === undefined) continue;
      floor = floor === undefined ? groupFloor : Math.min(floor, groupFloor);
    }
    if (floor === undefined) return;
    const dropped = this.partition(partition).releaseBefore(floor);
    if (dropped > 0) {
      memoryRetainedRecords.dec({ topic: this.name }, dropped);
      this.admitWaiting();
    }
  }

  /** Rejects every waiting producer (the log is closing). */
  rejectWaiting(error: Error): void {
    const waiting = this.waiting;
    this.waiting = [];
    for (const producer of waiting) {
      clearTimeout(producer.timer);
      memoryWaitingProducers.dec();
      producer.reject(error);
    }
  }

  private fits(needs: ReadonlyMap<number, Need>): boolean {
    for (const [partition, need] of needs) {
      if (!this.partition(partition).hasRoomFor(need.count, need.bytes, this.limits)) return false;
    }
    return true;
  }

  private append(planned: readonly PlannedRecord[]): void {
    for (const record of planned) {
      this.partition(record.partition).append(
        record.key,
        record.value,
        record.headers,
        record.timestamp,
        record.bytes,
      );
    }
    memoryRetainedRecords.inc({ topic: this.name }, planned.length);
    for (const listener of this.appendListeners) listener();
  }

  private wait(
    planned: readonly PlannedRecord[],
    needs: ReadonlyMap<number, Need>,
    waitMs: number,
  ): Promise<void> {
    return new Promise((resolve, reject) => {
      const producer: WaitingProducer = { planned, needs, resolve, reject, timer: undefined };
      producer.timer = setTimeout(() => {
        const index = this.waiting.indexOf(producer);
        if (index < 0) return;
        this.waiting.splice(index, 1);
        memoryWaitingProducers.dec();
        reject(
          logFull(`topic ${this.name} stayed full for ${waitMs} ms`, {
            topic: this.name,
            waitMs,
            records: planned.length,
          }),
        );
        // The head may have been the one blocking the others.
        if (index === 0) this.admitWaiting();
      }, waitMs);
      this.waiting.push(producer);
      memoryWaitingProducers.inc();
    });
  }

  private admitWaiting(): void {
    while (this.waiting.length > 0) {
      const head = this.waiting[0]!;
      if (!this.fits(head.needs)) return;
      this.waiting.shift();
      clearTimeout(head.timer);
      memoryWaitingProducers.dec();
      // NOTE: appended here, synchronously, on the waiter's behalf: were it left to the waiter's
      // continuation, a new producer could take the room first.
      this.append(head.planned);
      head.resolve();
    }
  }
}
