import {
  PathcastError,
  StateError,
  TransientError,
  retry,
  silentLogger,
  toError,
  type Lifecycle,
  type Logger,
} from '../../core/index.js';
import { isRetriableClickHouseError } from '../clickhouse-errors.js';
import type { TableSpec } from '../rows/table-spec.js';
import { RowBuffer, type EncodedBatch } from './row-buffer.js';
import { splitByPartition } from './split-by-partition.js';
import { newTicket, type Ticket } from './write-ticket.js';
import {
  resolveWriterOptions,
  type ResolvedWriterOptions,
  type TableWriterOptions,
} from './writer-options.js';
import { writerMetrics } from './writer-metrics.js';

/** Sends one insert; rejects with the engine's error. */
export type InsertRows = (request: InsertRequest) => Promise<void>;

export interface InsertRequest {
  readonly table: string;
  readonly columns: readonly [string, ...string[]];
  /**
   * TabSeparated rows, cells in the order of `columns`, each line ending in '\n': the chunks
   * in order (a row never spans two).
   */
  readonly body: readonly Buffer[];
  /** Rows in `body`. */
  readonly rows: number;
  readonly signal: AbortSignal;
}

export interface TableWriterDeps {
  readonly insert: InsertRows;
  readonly logger?: Logger;
}

export interface TableWriterStats {
  readonly table: string;
  /** Rows waiting for an insert. */
  readonly bufferedRows: number;
  /** Rows of the insert being sent (or retried). */
  readonly inFlightRows: number;
  /** Writes waiting for buffer space. */
  readonly waitingWrites: number;
  readonly inserts: number;
  readonly rowsWritten: number;
  readonly retries: number;
  readonly failedInserts: number;
  readonly lastError: string | undefined;
}

interface PendingWrite<T> {
  readonly items: readonly T[];
  offset: number;
  readonly ticket: Ticket;
}

/**
 * A batched, durable, back-pressured writer for one table.
 *
 * - Batches: an insert goes out when `batchRows` rows are buffered or the oldest row has waited
 *   `flushIntervalMs`: about one insert per second per table under load, big batches always.
 *   One insert is in flight at a time, so rows land in the order they were written.
 * - Durable, then commit: `write(items)` resolves only once ClickHouse acknowledged every one
 *   of its rows. A caller commits offsets / checkpoints for that input then, never before.
 * - Retries: failed inserts are retried with full-jitter exponential backoff while the error is
 *   retriable (connection refused, timeouts, too many parts, ...), without limit by default.
 *   A non-retriable error (bad schema, bad data) fails that batch's writes and the writer moves
 *   on. Replays are harmless: every table is a ReplacingMergeTree and queries de-duplicate.
 * - Backpressure: at most `maxBufferedRows` rows are held. Past that, `write` waits (FIFO) and
 *   `isFull()` is true; callers that pipeline writes pause their source until `whenWritable()`.
 *   Memory stays bounded however long ClickHouse is down, and everything resumes on its own.
 */
export class TableWriter<T> implements Lifecycle {
  private readonly spec: TableSpec<T>;
  private readonly options: ResolvedWriterOptions;
  private readonly insertRows: InsertRows;
  private readonly logger: Logger;
  private readonly table: string;

  /**
   * Rows not yet taken into an insert, already encoded as TSV bytes (rows/tsv-buffer.ts):
   * positions [batched, admitted). NOTE: encoding on admission (in the caller's write) rather
   * than in the insert lets it overlap with the insert in flight: the server parses one batch
   * while this thread encodes the next, instead of both waiting on each other.
   */
  private readonly buffer: RowBuffer<T>;
  private admitted = 0;
  private batched = 0;
  /** Every position below this belongs to an insert that has settled (ok or failed). */
  private settledUpTo = 0;
  private inFlightRows = 0;
  /** Writes in order; the head settles first. */
  private readonly tickets: Ticket[] = [];
  /** Writes whose rows are not all admitted yet (FIFO). */
  private readonly queue: PendingWrite<T>[] = [];
  private readonly roomWaiters: (() => void)[] = [];
  private timer: NodeJS.Timeout | undefined;
  private timerDue = false;
  private flushRequests = 0;
  private running: Promise<void> | undefined;
  private closing: Promise<void> | undefined;
  private readonly abort = new AbortController();
  private held = 0;

  private inserts = 0;
  private rowsWritten = 0;
  private retries = 0;
  private failedInserts = 0;
  private lastError: string | undefined;

  constructor(spec: TableSpec<T>, deps: TableWriterDeps, options: TableWriterOptions = {}) {
    this.spec = spec;
    this.options = resolveWriterOptions(options);
    this.insertRows = deps.insert;
    this.table = spec.table;
    this.buffer = new RowBuffer(spec);
    this.logger = (deps.logger ?? silentLogger).child({ table: spec.table });
  }

  /** Nothing to acquire: the writer is ready once built. Part of the Lifecycle shape. */
  start(): Promise<void> {
    return Promise.resolve();
  }

  /**
   * Buffers `items` and resolves once all of them are in ClickHouse. Waits for buffer space
   * first when the writer is full. Rejects if an insert holding some of them failed for good,
   * or if the writer was closed before they were durable.
   */
  write(items: readonly T[]): Promise<void> {
    if (this.closing !== undefined) {
      return Promise.reject(new StateError('writer_closed', `writer of ${this.table} is closed`));
    }
    if (items.length === 0) return Promise.resolve();
    const ticket = newTicket();
    this.tickets.push(ticket);
    if (this.isFull()) writerMetrics.backpressureWaits.inc({ table: this.table });
    this.queue.push({ items, offset: 0, ticket });
    this.admit();
    return ticket.done;
  }

  /** True while the buffer is at its bound: a pipelining caller should pause its source. */
  isFull(): boolean {
    return this.queue.length > 0 || this.room() === 0;
  }

  /** Resolves when `isFull()` turns false. */
  whenWritable(): Promise<void> {
    if (!this.isFull()) return Promise.resolve();
    return new Promise((resolve) => this.roomWaiters.push(resolve));
  }

  /**
   * Sends everything written so far, without waiting for the batch size or the timer, and
   * resolves when it is durable. Rejects with the first failure among those writes.
   */
  async flush(): Promise<void> {
    const pending = this.tickets.map((t) => t.done);
    if (pending.length === 0) return;
    this.flushRequests += 1;
    try {
      this.kick();
      const results = await Promise.allSettled(pending);
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed !== undefined) throw toError(failed.reason);
    } finally {
      this.flushRequests -= 1;
    }
  }

  /**
   * Stops taking writes, flushes, and releases the timer. If ClickHouse stays unreachable for
   * closeTimeoutMs, the remaining writes reject with a retriable error (they were never
   * durable, so their input must not be committed). Safe to call twice.
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  stats(): TableWriterStats {
    return {
      table: this.table,
      bufferedRows: this.buffer.rows,
      inFlightRows: this.inFlightRows,
      waitingWrites: this.queue.length,
      inserts: this.inserts,
      rowsWritten: this.rowsWritten,
      retries: this.retries,
      failedInserts: this.failedInserts,
      lastError: this.lastError,
    };
  }

  private async shutdown(): Promise<void> {
    const deadline = setTimeout(() => {
      this.abort.abort(
        new TransientError(
          'writer_closed',
          `writer of ${this.table} closed before ClickHouse acknowledged its rows`,
        ),
      );
    }, this.options.closeTimeoutMs);
    try {
      await this.flush();
    } catch (error) {
      // The writes that failed were rejected to their callers; close itself succeeds.
      this.logger.error('clickhouse_writer_close_incomplete', { error: toError(error).message });
    } finally {
      clearTimeout(deadline);
      this.clearTimer();
    }
  }

  private room(): number {
    return Math.max(0, this.options.maxBufferedRows - this.buffer.rows - this.inFlightRows);
  }

  /** Moves queued writes into the buffer as far as room allows, in FIFO order. */
  private admit(): void {
    while (this.queue.length > 0) {
      const room = this.room();
      if (room === 0) break;
      const head = this.queue[0] as PendingWrite<T>;
      const ticket = head.ticket;
      if (ticket.start < 0) ticket.start = this.admitted;
      const stop = Math.min(head.items.length, head.offset + room);
      try {
        for (; head.offset < stop; head.offset++) {
          this.buffer.add(head.items[head.offset] as T);
          this.admitted += 1;
        }
      } catch (error) {
        // A mapping bug: this write fails; rows it already buffered are inserted harmlessly.
        ticket.error = toError(error);
        head.offset = head.items.length;
      }
      if (head.offset === head.items.length) {
        this.queue.shift();
        ticket.end = this.admitted;
      }
    }
    this.setHeld(this.buffer.rows + this.inFlightRows);
    this.settleTickets();
    if (!this.isFull()) {
      for (const wake of this.roomWaiters.splice(0)) wake();
    }
    this.schedule();
  }

  private schedule(): void {
    if (this.shouldInsert()) {
      this.kick();
    } else if (this.buffer.rows > 0 && this.timer === undefined) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.timerDue = true;
        this.kick();
      }, this.options.flushIntervalMs);
    }
  }

  private clearTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private shouldInsert(): boolean {
    if (this.buffer.rows === 0) return false;
    return this.buffer.rows >= this.options.batchRows || this.timerDue || this.flushRequests > 0;
  }

  /** Starts the insert loop unless it runs already (it re-checks the buffer after each batch). */
  private kick(): void {
    if (this.running !== undefined || !this.shouldInsert()) return;
    this.running = this.loop().finally(() => {
      this.running = undefined;
      this.schedule();
    });
  }

  private async loop(): Promise<void> {
    while (this.shouldInsert()) {
      const batch = this.buffer.take(this.options.batchRows);
      const start = this.batched;
      this.batched += batch.rows;
      this.timerDue = false;
      this.clearTimer();
      // Held rows stay the same: they move from the buffer to in flight, and free room only
      // when the insert settles, so memory stays bounded by maxBufferedRows.
      this.inFlightRows = batch.rows;
      let failure: Error | undefined;
      try {
        await this.insertBatch(batch);
      } catch (error) {
        failure = toError(error);
      }
      this.buffer.release(batch);
      this.inFlightRows = 0;
      this.markSettled(start, this.batched, failure);
      this.admit();
    }
  }

  private async insertBatch(batch: EncodedBatch): Promise<void> {
    for (const { body, rows } of this.chunksOf(batch)) {
      const began = performance.now();
      try {
        await retry(
          () =>
            this.insertRows({
              table: this.table,
              columns: this.spec.columns,
              body,
              rows,
              signal: this.abort.signal,
            }),
          {
            retries: this.options.retries,
            initialMs: this.options.retryInitialMs,
            maxMs: this.options.retryMaxMs,
            isRetriable: isRetriableClickHouseError,
            signal: this.abort.signal,
            onRetry: (error, attempt, delayMs) => {
              this.retries += 1;
              this.lastError = error.message;
              writerMetrics.retries.inc({ table: this.table });
              this.logger.warn('clickhouse_insert_retry', {
                attempt,
                delay_ms: delayMs,
                rows,
                error: error.message.slice(0, 500),
              });
            },
          },
        );
      } catch (error) {
        this.failedInserts += 1;
        this.lastError = toError(error).message;
        writerMetrics.inserts.inc({ table: this.table, outcome: 'failed' });
        this.logger.error('clickhouse_insert_failed', {
          rows,
          error: this.lastError.slice(0, 500),
        });
        throw error instanceof PathcastError
          ? error
          : new PathcastError(
              'clickhouse_insert_failed',
              `insert into ${this.table} failed: ${this.lastError.slice(0, 500)}`,
              { cause: error, retriable: isRetriableClickHouseError(error) },
            );
      }
      this.inserts += 1;
      this.rowsWritten += rows;
      writerMetrics.inserts.inc({ table: this.table, outcome: 'ok' });
      writerMetrics.rowsWritten.inc({ table: this.table }, rows);
      writerMetrics.insertSeconds.observe(
        { table: this.table },
        (performance.now() - began) / 1000,
      );
    }
  }

  /**
   * The batch as one insert, or, when it would touch more than maxPartitionsPerInsert
   * partitions (rare: see split-by-partition.ts), as several, each copied out row by row.
   */
  private chunksOf(batch: EncodedBatch): { body: readonly Buffer[]; rows: number }[] {
    const max = this.options.maxPartitionsPerInsert;
    if (batch.partitions === undefined || !exceeds(batch.partitions, max)) return [batch];
    const indexes = Array.from({ length: batch.rows }, (_, i) => i);
    const groups = splitByPartition(indexes, batch.partitions, max);
    const body = Buffer.concat(batch.body);
    const ends = batch.rowEnds;
    return groups.map((group) => ({
      body: group.map((i) => body.subarray(i === 0 ? 0 : ends[i - 1], ends[i])),
      rows: group.length,
    }));
  }

  /** Records the outcome of positions [start, end) and settles the writes it completes. */
  private markSettled(start: number, end: number, failure: Error | undefined): void {
    if (failure !== undefined) {
      for (const t of this.tickets) {
        const overlaps = t.start >= 0 && t.start < end && (t.end < 0 || t.end > start);
        if (overlaps) t.error ??= failure;
      }
    }
    this.settledUpTo = end;
    this.settleTickets();
  }

  private settleTickets(): void {
    while (this.tickets.length > 0) {
      const t = this.tickets[0] as Ticket;
      if (t.end < 0 || t.end > this.settledUpTo) break;
      this.tickets.shift();
      if (t.error === undefined) t.resolve();
      else t.reject(t.error);
    }
  }

  private setHeld(rows: number): void {
    writerMetrics.bufferedRows.inc({ table: this.table }, rows - this.held);
    this.held = rows;
  }
}

/** True if `partitions` holds more than `max` distinct values (runs of one value are cheap). */
function exceeds(partitions: Float64Array, max: number): boolean {
  const seen = new Set<number>();
  let last = Number.NaN;
  for (const partition of partitions) {
    if (partition === last) continue;
    last = partition;
    seen.add(partition);
    if (seen.size > max) return true;
  }
  return false;
}
