import type { TableSpec } from '../rows/table-spec.js';
import { TsvBuffer } from '../rows/tsv-buffer.js';
import { NumberQueue } from './number-queue.js';

/** Rows taken out of a RowBuffer for one insert. */
export interface EncodedBatch {
  /** The rows as TabSeparated bytes, each line ending in '\n', in one or more chunks. */
  readonly body: readonly Buffer[];
  readonly rows: number;
  /** End of each row in the concatenated body, bytes. */
  readonly rowEnds: Float64Array;
  /** Partition of each row, when the table is partitioned. */
  readonly partitions: Float64Array | undefined;
}

/**
 * The writer's buffered rows, encoded as they are admitted (spec.encode into one TsvBuffer),
 * with where each row ends and its partition: what splitting a batch by rows needs, and nothing
 * on the JavaScript heap per row.
 */
export class RowBuffer<T> {
  private readonly spec: TableSpec<T>;
  private readonly out = new TsvBuffer();
  /** TsvBuffer position after each buffered row. */
  private readonly ends = new NumberQueue();
  private readonly partitions: NumberQueue | undefined;
  /** Position of the first buffered row. */
  private start = 0;

  constructor(spec: TableSpec<T>) {
    this.spec = spec;
    this.partitions = spec.partitionOf === undefined ? undefined : new NumberQueue();
  }

  get rows(): number {
    return this.ends.length;
  }

  /** Encodes one item's row. If mapping it throws, nothing of it stays and the error is thrown. */
  add(item: T): void {
    const before = this.out.position;
    try {
      this.spec.encode(item, this.out);
      if (this.partitions !== undefined) {
        this.partitions.push((this.spec.partitionOf as (item: T) => number)(item));
      }
    } catch (error) {
      this.out.truncate(before);
      throw error;
    }
    this.ends.push(this.out.position);
  }

  /** Takes the first `count` buffered rows (at most all of them). */
  take(count: number): EncodedBatch {
    const rowEnds = this.ends.shift(count);
    const rows = rowEnds.length;
    const partitions = this.partitions?.shift(rows);
    const start = this.start;
    if (rows > 0) this.start = rowEnds[rows - 1] as number;
    const body = this.out.take(this.start);
    for (let i = 0; i < rows; i++) rowEnds[i] = (rowEnds[i] as number) - start;
    return { body, rows, rowEnds, partitions };
  }

  /** The insert of `batch` settled (for good, retries done): its bytes may be reused. */
  release(batch: EncodedBatch): void {
    this.out.release(batch.body);
  }
}
