import { describe, expect, it } from 'vitest';
import { ManualClock, silentLogger } from '../core/index.js';
import {
  MemoryEventLog,
  createEnricher,
  createEventProcessor,
  encodeEnvelope,
  topicNames,
  visitorKey,
  type BatchContext,
  type LogConsumer,
  type RecordBatch,
} from '../ingest/index.js';
import type { Checkpoint, CheckpointStore } from './checkpoint-store.js';
import { PartitionPipeline, type PipelineOutputs } from './partition-pipeline.js';

// A store down for longer than the group's session timeout: the batch waiting for it must keep
// heartbeating, or the group drops the member and its commits are refused once the store is
// back (found by test/clickhouse-outage.integration.test.ts, where that stopped the consumer).

const topics = topicNames('t');
const START = Date.parse('2026-06-01T00:00:00Z');

const consumer: LogConsumer = {
  commit: async () => undefined,
  seek: () => undefined,
  pause: () => undefined,
  resume: () => undefined,
  assigned: () => [0],
  lag: async () => [],
  close: async () => undefined,
};

class MemoryStore implements CheckpointStore {
  readonly saved = new Map<number, Checkpoint>();
  async load(_topic: string, _group: string, partition: number) {
    return this.saved.get(partition);
  }
  async save(_topic: string, _group: string, partition: number, checkpoint: Checkpoint) {
    this.saved.set(partition, checkpoint);
  }
}

/** Outputs that stay backed up, their flush pending, until `release()`. */
class DownStore implements PipelineOutputs {
  private down = true;
  private wake: () => void = () => undefined;
  private readonly back = new Promise<void>((resolve) => (this.wake = resolve));
  events(): void {}
  session(): void {}
  identity(): void {}
  async flush(): Promise<void> {
    if (this.down) await this.back;
  }
  backedUp(): boolean {
    return this.down;
  }
  release(): void {
    this.down = false;
    this.wake();
  }
}

function batch(): RecordBatch {
  const records = Array.from({ length: 3 }, (_, offset) => ({
    topic: topics.events,
    partition: 0,
    offset,
    key: visitorKey('shop', 'v1'),
    headers: {},
    timestamp: START + offset,
    value: Buffer.from(
      encodeEnvelope({
        v: 1,
        site: 'shop',
        receivedAt: START + offset,
        sentAt: null,
        country: '',
        ipPrefix: '',
        event: {
          type: 'page',
          messageId: `m-${offset}`,
          anonymousId: 'v1',
          timestamp: new Date(START + offset).toISOString(),
          properties: { url: 'https://shop.test/' },
        },
      }),
    ),
  }));
  return { topic: topics.events, partition: 0, records, nextOffset: 3, highWatermark: 3 };
}

describe('PartitionPipeline waiting on a store that is down', () => {
  it('heartbeats every second while the batch waits, and stops once it is done', async () => {
    const clock = new ManualClock(START);
    const outputs = new DownStore();
    const store = new MemoryStore();
    const pipeline = new PartitionPipeline(
      {
        log: new MemoryEventLog({}, { logger: silentLogger, clock }),
        topics,
        group: 'g',
        processor: createEventProcessor({ enricher: createEnricher(), clock }),
        outputs,
        checkpoints: store,
        clock,
        logger: silentLogger,
      },
      { checkpointIntervalMs: 0, tickMs: 60_000 },
    );
    let heartbeats = 0;
    const ctx: BatchContext = {
      consumer,
      heartbeat: async () => {
        heartbeats++;
      },
      isStale: () => false,
      signal: new AbortController().signal,
    };
    await pipeline.onAssigned([0], { consumer });
    const processing = pipeline.onBatch(batch(), ctx);
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(heartbeats).toBeGreaterThanOrEqual(2);
    expect(store.saved.size).toBe(0);

    outputs.release();
    await processing;
    expect(store.saved.get(0)?.nextOffset).toBe(3);
    const after = heartbeats;
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    // No heartbeat for a batch that is over (its context is no longer valid).
    expect(heartbeats).toBe(after);
    await pipeline.close();
  });
});
