import type { BatchContext, LogConsumer } from './event-log.js';

/**
 * The BatchContext of one delivered batch: a stale flag that, once set, stays set and aborts
 * the batch's signal. The transport decides what a heartbeat does.
 */
export class BatchState implements BatchContext {
  readonly partition: number;
  readonly consumer: LogConsumer;
  private stale = false;
  private controller: AbortController | undefined;
  private readonly beat: () => Promise<void>;

  constructor(consumer: LogConsumer, partition: number, heartbeat: () => Promise<void>) {
    this.consumer = consumer;
    this.partition = partition;
    this.beat = heartbeat;
  }

  heartbeat(): Promise<void> {
    return this.beat();
  }

  isStale(): boolean {
    return this.stale;
  }

  // NOTE: created on first use; most handlers never look at the signal, and an AbortController
  // per batch would be wasted work on the hot path.
  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      if (this.stale) this.controller.abort();
    }
    return this.controller.signal;
  }

  markStale(): void {
    if (this.stale) return;
    this.stale = true;
    this.controller?.abort();
  }
}
