import type { ClickEvent, Logger, Score, SessionOutput } from '../core/index.js';
import type {
  EventLog,
  FailedEvent,
  LogConsumer,
  RecordBatch,
  TopicNames,
} from '../ingest/index.js';
import type { IdentityLink } from '../sessionizer/index.js';
import type { StorageWriters } from '../storage/index.js';
import type { PipelineOutputs } from './partition-pipeline.js';

/**
 * The pipeline's outputs written to ClickHouse. Each write resolves once ClickHouse acknowledged
 * it; `flush()` waits for all of them, so a checkpoint taken after it covers only stored rows.
 */
export class StorageOutputs implements PipelineOutputs {
  private readonly writers: StorageWriters;
  private readonly pending = new Set<Promise<void>>();
  private failure: unknown;

  constructor(writers: StorageWriters) {
    this.writers = writers;
  }

  events(_partition: number, events: readonly ClickEvent[]): void {
    this.track(this.writers.events.write(events));
  }

  session(_partition: number, output: SessionOutput): void {
    this.track(this.writers.sessions.write([output]));
  }

  /** A live score, with the session's dimensions for the per-minute aggregates. */
  score(score: Score, output: SessionOutput): void {
    const { entryChannel, country, deviceType } = output.session;
    this.track(
      this.writers.scores.write([{ ...score, channel: entryChannel, country, deviceType }]),
    );
  }

  identity(_partition: number, link: IdentityLink): void {
    this.track(
      this.writers.identities.write([
        { site: link.site, anonymousId: link.anonymousId, userId: link.userId, at: link.linkedAt },
      ]),
    );
  }

  async flush(): Promise<void> {
    await this.writers.flush();
    await Promise.allSettled([...this.pending]);
    const failure = this.failure;
    if (failure !== undefined) {
      this.failure = undefined;
      // A batch ClickHouse refused for good: the checkpoint must not pass it.
      throw failure;
    }
  }

  backedUp(): boolean {
    return this.writers.isFull();
  }

  private track(write: Promise<void>): void {
    this.pending.add(write);
    write.then(
      () => this.pending.delete(write),
      (error: unknown) => {
        this.pending.delete(write);
        this.failure ??= error;
      },
    );
  }
}

/**
 * Stores the failed-events topic (collector and processor failures) in ClickHouse, committing
 * each batch once it is stored.
 */
export async function storeFailedEvents(
  log: EventLog,
  topics: TopicNames,
  group: string,
  writers: StorageWriters,
  logger: Logger,
): Promise<LogConsumer> {
  return log.consume({
    topic: topics.failedEvents,
    group: `${group}.failed-events`,
    fromBeginning: true,
    handler: {
      onBatch: async (batch: RecordBatch, ctx) => {
        const failed: FailedEvent[] = [];
        for (const record of batch.records) {
          try {
            failed.push(JSON.parse(record.value.toString('utf8')) as FailedEvent);
          } catch (error) {
            // Only Pathcast writes this topic; a record it cannot read is logged, not stored.
            logger.error('failed_event_unreadable', { offset: record.offset, err: error });
          }
        }
        if (failed.length > 0) await writers.failedEvents.write(failed);
        await ctx.consumer.commit(batch.partition, batch.nextOffset);
      },
    },
    onFailure: (error) => logger.error('failed_events_consumer_failed', { err: error }),
  });
}
