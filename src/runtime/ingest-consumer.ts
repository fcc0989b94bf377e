import {
  counter,
  type ClickEvent,
  type Lifecycle,
  type Logger,
  LifecycleGuard,
} from '../core/index.js';
import type {
  EventLog,
  EventProcessor,
  FailedEvent,
  LogConsumer,
  RecordBatch,
  TopicNames,
} from '../ingest/index.js';

/** Where accepted events go next (the sessionizer, storage). */
export interface ClickEventSink {
  /** Resolves when the events' effects are durable enough to commit their offsets. */
  write(partition: number, events: readonly ClickEvent[]): Promise<void>;
}

export interface IngestConsumerDeps {
  readonly log: EventLog;
  readonly topics: TopicNames;
  readonly group: string;
  readonly processor: EventProcessor;
  readonly sink: ClickEventSink;
  readonly logger: Logger;
  readonly onFailure?: (error: Error) => void;
}

const processedTotal = counter(
  'pathcast_ingest_events_total',
  'Records read from the events topic, by outcome',
  ['outcome'],
);

/**
 * Reads the events topic: every record becomes a ClickEvent for the sink or a failed event for
 * the failed-events topic, and the partition's offset is committed only once both are durable.
 * A poison record is a failed event like any other, so a partition never stops on bad data.
 */
export class IngestConsumer implements Lifecycle {
  private readonly deps: IngestConsumerDeps;
  private readonly guard: LifecycleGuard;
  private consumer: LogConsumer | undefined;

  constructor(deps: IngestConsumerDeps) {
    this.deps = deps;
    this.guard = new LifecycleGuard(
      'ingest consumer',
      () => this.onStart(),
      () => this.onClose(),
    );
  }

  start(): Promise<void> {
    return this.guard.start();
  }

  close(): Promise<void> {
    return this.guard.close();
  }

  /** Committed offsets and lag, for /metrics and /readyz. */
  lag(): ReturnType<LogConsumer['lag']> {
    if (this.consumer === undefined) return Promise.resolve([]);
    return this.consumer.lag();
  }

  private async onStart(): Promise<void> {
    this.consumer = await this.deps.log.consume({
      topic: this.deps.topics.events,
      group: this.deps.group,
      fromBeginning: true,
      handler: {
        onBatch: (batch, ctx) => this.onBatch(batch, ctx.consumer),
      },
      ...(this.deps.onFailure === undefined ? {} : { onFailure: this.deps.onFailure }),
    });
  }

  private async onClose(): Promise<void> {
    const consumer = this.consumer;
    this.consumer = undefined;
    if (consumer !== undefined) await consumer.close();
  }

  private async onBatch(batch: RecordBatch, consumer: LogConsumer): Promise<void> {
    const events: ClickEvent[] = [];
    const failed: FailedEvent[] = [];
    for (const record of batch.records) {
      const outcome = this.deps.processor(record);
      if (outcome.ok) events.push(outcome.value);
      else failed.push(outcome.failed);
    }
    processedTotal.inc({ outcome: 'accepted' }, events.length);
    processedTotal.inc({ outcome: 'failed' }, failed.length);
    await Promise.all([
      failed.length > 0
        ? this.deps.log.produce(
            this.deps.topics.failedEvents,
            failed.map((f) => ({ key: f.site, value: JSON.stringify(f) })),
          )
        : undefined,
      events.length > 0 ? this.deps.sink.write(batch.partition, events) : undefined,
    ]);
    await consumer.commit(batch.partition, batch.nextOffset);
  }
}
