import type { LogRecord } from '../event-log.js';

/** Bounds of one partition of the in-memory log. */
export interface PartitionLimits {
  readonly maxRecords: number;
  readonly maxBytes: number;
}

/** Per-record bookkeeping besides key and value: object, offset, timestamp, array slot. */
const RECORD_OVERHEAD_BYTES = 96;

/**
 * Approximate memory a record holds, for the byte bound: value bytes (a string's length: the
 * collector's JSON is one byte a character), key characters (UTF-16, as V8 stores them),
 * headers, plus a fixed overhead. Deterministic, so the same figure is
 * added on append and subtracted on release.
 */
export function recordBytes(record: Pick<LogRecord, 'key' | 'value' | 'headers'>): number {
  let bytes = RECORD_OVERHEAD_BYTES + record.value.length + record.key.length * 2;
  for (const name in record.headers) {
    bytes += (name.length + (record.headers[name]?.length ?? 0)) * 2;
  }
  return bytes;
}

/**
 * One partition: records with consecutive offsets from `startOffset` to `endOffset - 1`.
 * Released records leave the front; the array is compacted only when the released prefix is
 * large, so release is amortised O(1) per record and reads are a slice.
 */
export class PartitionLog {
  readonly topic: string;
  readonly partition: number;
  // Released slots are set to undefined so their records can be collected before compaction.
  private records: Array<LogRecord | undefined> = [];
  private head = 0;
  private start = 0;
  private bytes = 0;

  constructor(topic: string, partition: number) {
    this.topic = topic;
    this.partition = partition;
  }

  /** Offset of the oldest retained record (= endOffset when empty). */
  get startOffset(): number {
    return this.start;
  }

  /** Offset the next appended record gets. */
  get endOffset(): number {
    return this.start + this.records.length - this.head;
  }

  get size(): number {
    return this.records.length - this.head;
  }

  get byteSize(): number {
    return this.bytes;
  }

  /**
   * Whether `count` more records of `bytes` fit. An empty partition takes any batch, so a batch
   * larger than the bounds is admitted alone rather than waiting forever.
   */
  hasRoomFor(count: number, bytes: number, limits: PartitionLimits): boolean {
    if (this.size === 0) return true;
    return this.size + count <= limits.maxRecords && this.bytes + bytes <= limits.maxBytes;
  }

  append(
    key: string,
    value: Buffer | string,
    headers: Readonly<Record<string, string>>,
    timestamp: number,
    bytes: number,
  ): LogRecord {
    const record: LogRecord = {
      topic: this.topic,
      partition: this.partition,
      offset: this.endOffset,
      key,
      value,
      headers,
      timestamp,
    };
    this.records.push(record);
    this.bytes += bytes;
    return record;
  }

  /** Up to `max` records from `from` (clamped to the retained range). */
  read(from: number, max: number): LogRecord[] {
    const first = this.head + Math.max(0, from - this.start);
    // Slots at or after `head` are never undefined.
    return this.records.slice(first, Math.min(first + max, this.records.length)) as LogRecord[];
  }

  /** Drops records with offsets below `offset`; returns how many were dropped. */
  releaseBefore(offset: number): number {
    const upTo = Math.min(offset, this.endOffset);
    let dropped = 0;
    while (this.start < upTo) {
      const record = this.records[this.head];
      if (record === undefined) break;
      this.bytes -= recordBytes(record);
      this.records[this.head] = undefined;
      this.head++;
      this.start++;
      dropped++;
    }
    // NOTE: compact once the dead prefix outweighs the live part, not on every release.
    if (this.head > 1024 && this.head * 2 > this.records.length) {
      this.records = this.records.slice(this.head);
      this.head = 0;
    }
    return dropped;
  }
}
