/**
 * Helpers for the event-log tests (memory and Kafka alike): a polling wait with a deadline and
 * a handler that records what it was given. Not part of the module's API.
 */
import type {
  ConsumerContext,
  BatchContext,
  LogRecord,
  PartitionHandler,
  RecordBatch,
} from './event-log.js';

/** Polls `check` until it returns a value other than undefined/false, or fails at the deadline. */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 10_000,
  intervalMs = 10,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`, { cause: last });
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

export type HandlerEvent =
  | { readonly kind: 'assigned' | 'revoked' | 'lost'; readonly partitions: readonly number[] }
  | { readonly kind: 'batch'; readonly partition: number; readonly offsets: readonly number[] };

export interface RecordingOptions {
  /** Commit each batch's nextOffset after it is processed. */
  readonly commitEachBatch?: boolean;
  /** Called for each batch before it is recorded; may throw to fail the batch. */
  readonly onBatch?: (batch: RecordBatch, ctx: BatchContext) => Promise<void> | void;
  /** Called inside onAssigned, e.g. to seek. */
  readonly onAssigned?: (partitions: readonly number[], ctx: ConsumerContext) => void;
  /** Provide onLost (default: only onRevoked, so the transport falls back to it). */
  readonly withOnLost?: boolean;
}

/** A PartitionHandler that keeps every call, in order, for assertions. */
export class RecordingHandler implements PartitionHandler {
  readonly events: HandlerEvent[] = [];
  readonly records: LogRecord[] = [];
  private readonly options: RecordingOptions;
  readonly onLost: ((partitions: readonly number[]) => Promise<void>) | undefined;

  constructor(options: RecordingOptions = {}) {
    this.options = options;
    this.onLost =
      options.withOnLost === true
        ? (partitions) => {
            this.events.push({ kind: 'lost', partitions: [...partitions] });
            return Promise.resolve();
          }
        : undefined;
  }

  onAssigned(partitions: readonly number[], ctx: ConsumerContext): Promise<void> {
    this.events.push({ kind: 'assigned', partitions: [...partitions] });
    this.options.onAssigned?.(partitions, ctx);
    return Promise.resolve();
  }

  onRevoked(partitions: readonly number[]): Promise<void> {
    this.events.push({ kind: 'revoked', partitions: [...partitions] });
    return Promise.resolve();
  }

  async onBatch(batch: RecordBatch, ctx: BatchContext): Promise<void> {
    await this.options.onBatch?.(batch, ctx);
    this.events.push({
      kind: 'batch',
      partition: batch.partition,
      offsets: batch.records.map((r) => r.offset),
    });
    this.records.push(...batch.records);
    if (this.options.commitEachBatch === true) {
      await ctx.consumer.commit(batch.partition, batch.nextOffset);
    }
  }

  /** Partitions currently held according to the callbacks seen. */
  held(): Set<number> {
    const held = new Set<number>();
    for (const event of this.events) {
      if (event.kind === 'assigned') for (const p of event.partitions) held.add(p);
      if (event.kind === 'revoked' || event.kind === 'lost') {
        for (const p of event.partitions) held.delete(p);
      }
    }
    return held;
  }

  values(): string[] {
    return this.records.map((r) => r.value.toString());
  }
}
