import type { SimulatedEvent } from './simulated-event.js';

/** Where simulated records go: a file, a collector, a Kafka producer, a test's array. */
export interface EventSink {
  /**
   * Takes one record. Returns a promise when the caller must wait before writing more
   * (backpressure), else undefined, so a fast sink costs no promise per record.
   */
  write(record: SimulatedEvent): Promise<void> | undefined;
  /** Flushes everything written and releases resources. Safe to call twice. */
  close(): Promise<void>;
}

/** The line a record is in NDJSON: its event as JSON, or a malformed record's raw text. */
export function recordText(record: SimulatedEvent): string {
  if (record.text !== undefined) return record.text;
  return typeof record.payload === 'string' ? record.payload : JSON.stringify(record.payload);
}

/** Writes every record to each sink in turn (e.g. a file and a collector at once). */
export function teeSinks(...sinks: readonly EventSink[]): EventSink {
  return {
    write(record) {
      const waits = sinks.map((sink) => sink.write(record)).filter((w) => w !== undefined);
      return waits.length === 0 ? undefined : Promise.all(waits).then(() => undefined);
    },
    async close() {
      const results = await Promise.allSettled(sinks.map((sink) => sink.close()));
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed !== undefined) throw failed.reason;
    },
  };
}
