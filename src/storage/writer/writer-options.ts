import { ValidationError } from '../../core/index.js';

export interface TableWriterOptions {
  /** An insert is sent as soon as this many rows are buffered. Default 50,000. */
  readonly batchRows?: number;
  /** ...or when the oldest buffered row has waited this long, ms. Default 1,000. */
  readonly flushIntervalMs?: number;
  /**
   * Rows held (buffered plus in flight) before `write` waits and `isFull` says pause.
   * Default 4 x batchRows. This is the memory bound while ClickHouse is down.
   */
  readonly maxBufferedRows?: number;
  /** Partitions one insert may touch (see split-by-partition.ts). Default 90. */
  readonly maxPartitionsPerInsert?: number;
  /** Backoff between attempts: full jitter, growing from initialMs to maxMs. */
  readonly retryInitialMs?: number;
  readonly retryMaxMs?: number;
  /**
   * Retries of one insert before its rows are given up (their writes reject). Default: no limit,
   * because the rows are not committed upstream until they are durable, and giving up would
   * only move the wait there; close() bounds the wait instead.
   */
  readonly retries?: number;
  /** How long close() keeps trying to flush before it gives up, ms. Default 30,000. */
  readonly closeTimeoutMs?: number;
}

/** Defaults: big batches, about one insert per second, a buffer of four batches. */
const DEFAULTS = {
  batchRows: 50_000,
  flushIntervalMs: 1_000,
  maxPartitionsPerInsert: 90,
  retryInitialMs: 200,
  retryMaxMs: 10_000,
  retries: Number.POSITIVE_INFINITY,
  closeTimeoutMs: 30_000,
} as const;

export type ResolvedWriterOptions = Required<TableWriterOptions>;

/** Fills the defaults and validates eagerly: a bad option fails at start-up, not at first write. */
export function resolveWriterOptions(options: TableWriterOptions = {}): ResolvedWriterOptions {
  const batchRows = options.batchRows ?? DEFAULTS.batchRows;
  const resolved: ResolvedWriterOptions = {
    batchRows,
    flushIntervalMs: options.flushIntervalMs ?? DEFAULTS.flushIntervalMs,
    maxBufferedRows: options.maxBufferedRows ?? batchRows * 4,
    maxPartitionsPerInsert: options.maxPartitionsPerInsert ?? DEFAULTS.maxPartitionsPerInsert,
    retryInitialMs: options.retryInitialMs ?? DEFAULTS.retryInitialMs,
    retryMaxMs: options.retryMaxMs ?? DEFAULTS.retryMaxMs,
    retries: options.retries ?? DEFAULTS.retries,
    closeTimeoutMs: options.closeTimeoutMs ?? DEFAULTS.closeTimeoutMs,
  };
  for (const [name, value] of Object.entries(resolved) as [keyof ResolvedWriterOptions, number][]) {
    // Only retries may be unlimited (Infinity) or zero; everything else is a positive integer.
    const ok =
      name === 'retries'
        ? value === Number.POSITIVE_INFINITY || (Number.isSafeInteger(value) && value >= 0)
        : Number.isSafeInteger(value) && value > 0;
    if (!ok) {
      throw new ValidationError(
        'invalid_writer_options',
        `${name} must be ${name === 'retries' ? 'an integer >= 0 or Infinity' : 'a positive integer'}, got ${value}`,
      );
    }
  }
  if (resolved.maxBufferedRows < resolved.batchRows) {
    throw new ValidationError(
      'invalid_writer_options',
      `maxBufferedRows (${resolved.maxBufferedRows}) must be >= batchRows (${resolved.batchRows})`,
    );
  }
  return resolved;
}
