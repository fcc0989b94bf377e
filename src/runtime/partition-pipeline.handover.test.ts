import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManualClock, StateError, silentLogger, type SessionOutput } from '../core/index.js';
import {
  LOG_ERROR,
  MemoryEventLog,
  createEnricher,
  createEventProcessor,
  encodeEnvelope,
  topicNames,
  visitorKey,
  type BatchContext,
  type LogConsumer,
  type LogRecord,
  type PartitionLag,
  type RecordBatch,
} from '../ingest/index.js';
import { FileCheckpointStore, type Checkpoint, type CheckpointStore } from './checkpoint-store.js';
import { PartitionPipeline, type PipelineOutputs } from './partition-pipeline.js';
import { pollUntil } from '../../test/polling.js';

// The partition hand-over rules of PartitionPipeline, driven through its PartitionHandler
// callbacks with a scripted consumer: restore seeks to the checkpoint's offset, revocation
// checkpoints before the partition goes, a lost partition is never saved or committed.

const topics = topicNames('t');
const GROUP = 'processors';
const START = Date.parse('2026-06-01T00:00:00Z');

/** A consumer whose ownership the test sets, recording seeks and commits. */
class ScriptedConsumer implements LogConsumer {
  owned: number[] = [];
  /** Code of the error the next commits throw, as the log would on a refused commit. */
  refuseCommits: string | undefined;
  readonly calls: string[];
  constructor(calls: string[]) {
    this.calls = calls;
  }
  async commit(partition: number, nextOffset: number): Promise<void> {
    if (this.refuseCommits !== undefined) {
      throw Object.assign(new Error(`commit refused: ${this.refuseCommits}`), {
        code: this.refuseCommits,
      });
    }
    this.calls.push(`commit ${partition}@${nextOffset}`);
  }
  seek(partition: number, offset: number): void {
    this.calls.push(`seek ${partition}@${offset}`);
  }
  pause(): void {}
  resume(): void {}
  assigned(): readonly number[] {
    return this.owned;
  }
  async lag(): Promise<readonly PartitionLag[]> {
    return [];
  }
  async close(): Promise<void> {}
}

/** A store in memory whose saves the test can hold back or fail. */
class ScriptedStore implements CheckpointStore {
  readonly saved = new Map<number, Checkpoint>();
  readonly calls: string[];
  failSaves = false;
  constructor(calls: string[]) {
    this.calls = calls;
  }
  async load(_topic: string, _group: string, partition: number): Promise<Checkpoint | undefined> {
    return this.saved.get(partition);
  }
  async save(_t: string, _g: string, partition: number, checkpoint: Checkpoint): Promise<void> {
    if (this.failSaves) throw new Error('store down');
    this.calls.push(`save ${partition}@${checkpoint.nextOffset}`);
    this.saved.set(partition, checkpoint);
  }
}

/** Outputs whose flush the test can hold until it calls `release`. */
class HeldOutputs implements PipelineOutputs {
  readonly sessions: SessionOutput[] = [];
  private held: Promise<void> | undefined;
  release: () => void = () => undefined;
  events(): void {}
  identity(): void {}
  session(_partition: number, output: SessionOutput): void {
    this.sessions.push(output);
  }
  hold(): void {
    this.held = new Promise((resolve) => (this.release = resolve));
  }
  async flush(): Promise<void> {
    await this.held;
  }
  backedUp(): boolean {
    return false;
  }
}

function record(partition: number, offset: number, visitor: string, minute: number): LogRecord {
  const time = START + minute * 60_000;
  return {
    topic: topics.events,
    partition,
    offset,
    key: visitorKey('shop', visitor),
    headers: {},
    timestamp: time,
    value: Buffer.from(
      encodeEnvelope({
        v: 1,
        site: 'shop',
        receivedAt: time,
        sentAt: null,
        country: '',
        ipPrefix: '',
        event: {
          type: 'page',
          messageId: `m-${partition}-${offset}`,
          anonymousId: visitor,
          timestamp: new Date(time).toISOString(),
          properties: { url: 'https://shop.test/' },
        },
      }),
    ),
  };
}

function batch(partition: number, from: number, count: number): RecordBatch {
  const records = Array.from({ length: count }, (_, i) =>
    record(partition, from + i, `v${(from + i) % 3}`, from + i),
  );
  return {
    topic: topics.events,
    partition,
    records,
    nextOffset: from + count,
    highWatermark: from + count + 100,
  };
}

function context(consumer: LogConsumer): BatchContext {
  return {
    consumer,
    heartbeat: async () => undefined,
    isStale: () => false,
    signal: new AbortController().signal,
  };
}

function setUp(checkpointIntervalMs: number, tickMs = 60_000) {
  const calls: string[] = [];
  const consumer = new ScriptedConsumer(calls);
  const store = new ScriptedStore(calls);
  const outputs = new HeldOutputs();
  const clock = new ManualClock(START);
  const pipeline = new PartitionPipeline(
    {
      log: new MemoryEventLog({}, { logger: silentLogger, clock }),
      topics,
      group: GROUP,
      processor: createEventProcessor({ enricher: createEnricher(), clock }),
      outputs,
      checkpoints: store,
      clock,
      logger: silentLogger,
    },
    { checkpointIntervalMs, tickMs },
  );
  return { calls, consumer, store, outputs, pipeline, clock };
}

/** An in-memory log with one-partition events and failed-events topics. */
async function memoryLog(clock: ManualClock): Promise<MemoryEventLog> {
  const log = new MemoryEventLog({}, { logger: silentLogger, clock });
  await log.start();
  await log.ensureTopics([
    { name: topics.events, partitions: 1 },
    { name: topics.failedEvents, partitions: 1 },
  ]);
  return log;
}

describe('PartitionPipeline stopped for good', () => {
  it('keeps the error that stopped its consumer, for /readyz', async () => {
    const clock = new ManualClock(START);
    const log = await memoryLog(clock);
    const unreadable: CheckpointStore = {
      load: async () => {
        throw new StateError('checkpoint_corrupt', 'sessionizer checkpoint checksum mismatch');
      },
      save: async () => undefined,
    };
    const pipeline = new PartitionPipeline({
      log,
      topics,
      group: GROUP,
      processor: createEventProcessor({ enricher: createEnricher(), clock }),
      outputs: new HeldOutputs(),
      checkpoints: unreadable,
      clock,
      logger: silentLogger,
    });
    expect(pipeline.failure()).toBeUndefined();
    await pipeline.start();
    const failure = await pollUntil('the consumer to give up', () => pipeline.failure(), {
      timeoutMs: 10_000,
    });
    expect(failure).toMatchObject({ code: 'checkpoint_corrupt' });
    await pipeline.close();
    await log.close();
  });
});

describe('PartitionPipeline hand-over', () => {
  it('goes on processing while a checkpoint waits for its outputs, and saves the offset it took', async () => {
    const { calls, consumer, store, outputs, pipeline } = setUp(0);
    consumer.owned = [0];
    await pipeline.onAssigned([0], { consumer });
    outputs.hold(); // ClickHouse is slow: the checkpoint's flush waits
    await pipeline.onBatch(batch(0, 0, 5), context(consumer));
    // The next batches are processed at once; before, they waited for the flush.
    await pipeline.onBatch(batch(0, 5, 5), context(consumer));
    await pipeline.onBatch(batch(0, 10, 5), context(consumer));
    expect(outputs.sessions.filter((o) => o.kind === 'update')).toHaveLength(15);
    expect(calls).toEqual(['seek 0@0']);
    outputs.release();
    await pipeline.checkpointsSettled();
    // The checkpoint started after the first batch holds that batch's offset (its state was
    // taken with it); one more, started when it landed, covers the two that came meanwhile.
    expect(calls).toEqual(['seek 0@0', 'save 0@5', 'commit 0@5', 'save 0@15', 'commit 0@15']);
    expect(store.saved.get(0)?.nextOffset).toBe(15);
    await pipeline.close();
  });

  it('seeks a restored partition to its checkpoint, and one without a checkpoint to the start', async () => {
    const { calls, consumer, store, pipeline } = setUp(60_000);
    const donor = setUp(0);
    donor.consumer.owned = [1];
    await donor.pipeline.onAssigned([1], { consumer: donor.consumer });
    await donor.pipeline.onBatch(batch(1, 0, 7), context(donor.consumer));
    const checkpoint = donor.store.saved.get(1);
    expect(checkpoint?.nextOffset).toBe(7);
    store.saved.set(1, checkpoint!);

    consumer.owned = [0, 1];
    await pipeline.onAssigned([0, 1], { consumer });
    // Partition 0 never checkpointed: from the start, whatever the group may have committed.
    expect(calls).toEqual(['seek 0@0', 'seek 1@7']);
    expect(pipeline.openSessions()).toBe(donor.pipeline.openSessions());
  });

  it('checkpoints and commits a revoked partition before letting it go, and never saves it after', async () => {
    const { calls, consumer, store, pipeline, clock } = setUp(60_000, 5);
    consumer.owned = [0];
    await pipeline.onAssigned([0], { consumer });
    await pipeline.onBatch(batch(0, 0, 5), context(consumer));
    expect(calls).toEqual(['seek 0@0']); // interval not reached: nothing saved yet
    await pipeline.onRevoked([0]);
    expect(calls).toEqual(['seek 0@0', 'save 0@5', 'commit 0@5']);
    consumer.owned = [];
    store.saved.clear();
    clock.advance(10 * 60_000);
    await new Promise((resolve) => setTimeout(resolve, 50)); // ticks run on real timers
    await pipeline.close();
    expect(calls).toEqual(['seek 0@0', 'save 0@5', 'commit 0@5']);
  });

  it('neither saves nor commits a partition lost while its checkpoint was flushing', async () => {
    const { calls, consumer, store, outputs, pipeline } = setUp(0);
    consumer.owned = [0];
    await pipeline.onAssigned([0], { consumer });
    outputs.hold();
    const processing = pipeline.onBatch(batch(0, 0, 5), context(consumer));
    await new Promise((resolve) => setTimeout(resolve, 10));
    // Taken away (a session timeout): another member restores the last checkpoint.
    consumer.owned = [];
    await pipeline.onLost([0]);
    outputs.release();
    await processing;
    expect(calls).toEqual(['seek 0@0']);
    expect(store.saved.size).toBe(0);
  });

  it('keeps going when the group took the partition before the commit, but not on other refusals', async () => {
    const { calls, consumer, store, pipeline } = setUp(0);
    consumer.owned = [0];
    await pipeline.onAssigned([0], { consumer });
    // The group moved on while the batch flushed (a session timeout in a long outage): the
    // checkpoint is saved, the commit refused; the new owner resumes from the checkpoint.
    consumer.refuseCommits = LOG_ERROR.notOwned;
    await pipeline.onBatch(batch(0, 0, 5), context(consumer));
    await pipeline.checkpointsSettled();
    expect(calls).toEqual(['seek 0@0', 'save 0@5']);
    expect(store.saved.get(0)?.nextOffset).toBe(5);
    // Another refusal fails the checkpoint, saved while the partition went on: the partition's
    // next batch fails with it (and the log restarts from the last commit).
    consumer.refuseCommits = LOG_ERROR.commitFailed;
    await pipeline.onBatch(batch(0, 5, 5), context(consumer));
    await pipeline.checkpointsSettled();
    await expect(pipeline.onBatch(batch(0, 10, 5), context(consumer))).rejects.toThrow(
      'commit refused: commit_failed',
    );
    await pipeline.close();
  });

  it('drops the state of a partition whose revocation failed, so it is never saved later', async () => {
    const { calls, consumer, store, pipeline, clock } = setUp(60_000, 5);
    consumer.owned = [0, 1];
    await pipeline.onAssigned([0, 1], { consumer });
    await pipeline.onBatch(batch(0, 0, 5), context(consumer));
    store.failSaves = true;
    await expect(pipeline.onRevoked([0, 1])).rejects.toThrow('store down');
    // The log gave up on the callback and released the partitions anyway.
    consumer.owned = [1];
    store.failSaves = false;
    await pipeline.onAssigned([1], { consumer });
    clock.advance(10 * 60_000);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await pipeline.close();
    expect(calls.filter((call) => call.startsWith('save 0'))).toEqual([]);
    expect(pipeline.openSessions()).toBe(0);
  });

  it('replays from the start when offsets were committed but no checkpoint exists', async () => {
    const clock = new ManualClock(START + 10 * 86_400_000);
    const log = await memoryLog(clock);
    const records = batch(0, 0, 40).records.map((r) => ({ key: r.key, value: r.value }));
    await log.produce(topics.events, records);
    // The in-memory log frees what every group has committed; this group keeps it all, as
    // Kafka's retention would.
    const archive = await log.consume({
      topic: topics.events,
      group: 'archive',
      fromBeginning: true,
      handler: { onBatch: async () => undefined },
    });
    // An earlier member committed half the partition, and its checkpoint is gone.
    const earlier = await log.consume({
      topic: topics.events,
      group: GROUP,
      fromBeginning: true,
      handler: {
        onAssigned: async (_partitions, ctx) => ctx.consumer.commit(0, 20),
        onBatch: async () => undefined,
      },
    });
    await earlier.close();
    const outputs = new HeldOutputs();
    const pipeline = new PartitionPipeline(
      {
        log,
        topics,
        group: GROUP,
        processor: createEventProcessor({ enricher: createEnricher(), clock }),
        outputs,
        checkpoints: new FileCheckpointStore(mkdtempSync(join(tmpdir(), 'pc-handover-'))),
        clock,
        logger: silentLogger,
      },
      { checkpointIntervalMs: 0, tickMs: 60_000 },
    );
    const consumer = await pipeline.start();
    for (const deadline = Date.now() + 10_000; Date.now() < deadline;) {
      const [lag] = await consumer.lag();
      if (lag?.committed === 40) break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await pipeline.close();
    await archive.close();
    await log.close();
    // Every event counted: the three visitors' sessions hold all 40, none began at offset 20.
    const latest = new Map<string, number>();
    for (const output of outputs.sessions) latest.set(output.session.id, output.session.eventCount);
    expect([...latest.values()].reduce((sum, n) => sum + n, 0)).toBe(40);
  });

  it('saves a last checkpoint when it closes, so the next owner does not close sessions again', async () => {
    const clock = new ManualClock(START);
    const log = await memoryLog(clock);
    const records = batch(0, 0, 6).records.map((r) => ({ key: r.key, value: r.value }));
    await log.produce(topics.events, records);
    const checkpoints = new FileCheckpointStore(mkdtempSync(join(tmpdir(), 'pc-close-')));
    const build = (outputs: HeldOutputs, at: ManualClock): PartitionPipeline =>
      new PartitionPipeline(
        {
          log,
          topics,
          group: GROUP,
          processor: createEventProcessor({ enricher: createEnricher(), clock: at }),
          outputs,
          checkpoints,
          clock: at,
          logger: silentLogger,
        },
        // No periodic checkpoint within the test: only closing can save the closes below.
        { checkpointIntervalMs: 86_400_000, tickMs: 5 },
      );
    const first = new HeldOutputs();
    const pipeline = build(first, clock);
    await pipeline.start();
    const closedSessions = (outputs: HeldOutputs): number =>
      outputs.sessions.filter((o) => o.kind === 'closed').length;
    for (const deadline = Date.now() + 10_000; pipeline.openSessions() < 3;) {
      if (Date.now() > deadline) throw new Error('the events were not sessionized');
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    // Event time moves on while the partition is idle: the three sessions close.
    clock.advance(3 * 3_600_000);
    for (const deadline = Date.now() + 10_000; closedSessions(first) < 3;) {
      if (Date.now() > deadline) throw new Error('the idle sessions did not close');
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await pipeline.close();

    // The successor's clock starts where the first one did: had the closes not been saved, it
    // would replay the events as on time and close the same sessions a second time.
    const later = new ManualClock(START);
    const next = new HeldOutputs();
    const successor = build(next, later);
    await successor.start();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(successor.openSessions()).toBe(0);
    later.advance(3 * 3_600_000);
    await new Promise((resolve) => setTimeout(resolve, 50)); // ticks run on real timers
    await successor.close();
    await log.close();
    expect(closedSessions(next)).toBe(0);
  });
});
