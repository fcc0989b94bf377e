import type { ClickEvent, Logger, Score, SessionOutput } from '../core/index.js';
import {
  recordText,
  type EventLog,
  type FailedEvent,
  type LogConsumer,
  type RecordBatch,
  type TopicNames,
} from '../ingest/index.js';
import type { IdentityLink } from '../sessionizer/index.js';
import type { StorageWriters } from '../storage/index.js';
import type { PipelineOutputs } from './partition-pipeline.js';

type ScoreRow = Parameters<StorageWriters['scores']['write']>[0][number];
type IdentityRow = Parameters<StorageWriters['identities']['write']>[0][number];

/**
 * The pipeline's outputs written to ClickHouse. Each write resolves once ClickHouse acknowledged
 * it; `flush()` waits for all handed over before it, so a checkpoint taken when it was called
 * covers only stored rows.
 *
 * Sessions, scores and identities come one at a time, several per event; they are gathered and
 * handed to the writers once per run of the event loop (a consumer batch is processed in one
 * run), so the writers see one call and one promise per table and batch, not one per row. Of a
 * session's outputs in one hand-over only the last is written: each session row carries the
 * whole running state with a higher version, the table keeps the highest (ReplacingMergeTree),
 * and the per-minute aggregates read closed rows only, which always come last.
 */
export class StorageOutputs implements PipelineOutputs {
  private readonly writers: StorageWriters;
  private readonly pending = new Set<Promise<void>>();
  private failure: unknown;
  private sessions: SessionOutput[] = [];
  /** Index in `sessions` of each session's latest output. */
  private readonly sessionAt = new Map<string, number>();
  private scores: ScoreRow[] = [];
  private identities: IdentityRow[] = [];
  private scheduled = false;

  constructor(writers: StorageWriters) {
    this.writers = writers;
  }

  events(_partition: number, events: readonly ClickEvent[]): void {
    this.track(this.writers.events.write(events));
  }

  session(_partition: number, output: SessionOutput): void {
    const at = this.sessionAt.get(output.session.id);
    if (at === undefined) {
      this.sessionAt.set(output.session.id, this.sessions.length);
      this.sessions.push(output);
    } else {
      this.sessions[at] = output;
    }
    this.schedule();
  }

  /** A live score, with the session's dimensions for the per-minute aggregates. */
  score(score: Score, output: SessionOutput): void {
    const { entryChannel, country, deviceType } = output.session;
    this.scores.push({ ...score, channel: entryChannel, country, deviceType });
    this.schedule();
  }

  identity(_partition: number, link: IdentityLink): void {
    this.identities.push({
      site: link.site,
      anonymousId: link.anonymousId,
      userId: link.userId,
      at: link.linkedAt,
    });
    this.schedule();
  }

  async flush(): Promise<void> {
    this.handOver();
    // NOTE: only what was handed over before this call: a checkpoint taken meanwhile covers
    // those. Writes made while it waits (the pipeline goes on processing) are left to the
    // writers' own batching, not waited for here.
    const handedOver = [...this.pending];
    await this.writers.flush();
    await Promise.allSettled(handedOver);
    const failure = this.failure;
    if (failure !== undefined) {
      this.failure = undefined;
      // A batch ClickHouse refused for good: the checkpoint must not pass it.
      throw failure;
    }
  }

  /** Whether the writers are full, counting what this turn gathered (handed over first). */
  backedUp(): boolean {
    this.handOver();
    return this.writers.isFull();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => this.handOver());
  }

  /** Gives what was gathered to the writers. */
  private handOver(): void {
    this.scheduled = false;
    if (this.sessions.length > 0) {
      this.track(this.writers.sessions.write(this.sessions));
      this.sessions = [];
      this.sessionAt.clear();
    }
    if (this.scores.length > 0) {
      this.track(this.writers.scores.write(this.scores));
      this.scores = [];
    }
    if (this.identities.length > 0) {
      this.track(this.writers.identities.write(this.identities));
      this.identities = [];
    }
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
            failed.push(JSON.parse(recordText(record.value)) as FailedEvent);
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
