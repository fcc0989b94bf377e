import { afterEach, describe, expect, it } from 'vitest';
import {
  ManualClock,
  PathcastError,
  StateError,
  TransientError,
  ValidationError,
  metricValue,
  silentLogger,
} from '../../../core/index.js';
import type { LogConsumer, ProducerRecord } from '../event-log.js';
import { partitionForKey } from '../partitioner.js';
import { visitorKey } from '../record-key.js';
import { RecordingHandler, waitFor } from '../test-support.js';
import {
  MemoryEventLog,
  resolveMemoryLogConfig,
  type MemoryLogOptions,
} from './memory-event-log.js';

const TOPIC = 'events';

let open: MemoryEventLog[] = [];

async function startLog(options: MemoryLogOptions = {}, partitions = 4): Promise<MemoryEventLog> {
  const log = new MemoryEventLog(options, { logger: silentLogger });
  open.push(log);
  await log.start();
  await log.ensureTopics([{ name: TOPIC, partitions }]);
  return log;
}

async function join(
  log: MemoryEventLog,
  handler: RecordingHandler,
  extra: {
    group?: string;
    fromBeginning?: boolean;
    maxBatchRecords?: number;
    onFailure?: (e: Error) => void;
  } = {},
): Promise<LogConsumer> {
  const consumer = await log.consume({
    topic: TOPIC,
    group: extra.group ?? 'g',
    handler,
    fromBeginning: extra.fromBeginning ?? true,
    maxBatchRecords: extra.maxBatchRecords,
    onFailure: extra.onFailure,
  });
  return consumer;
}

function records(count: number, keyOf: (i: number) => string, from = 0): ProducerRecord[] {
  return Array.from({ length: count }, (_, i) => ({ key: keyOf(from + i), value: `v${from + i}` }));
}

afterEach(async () => {
  await Promise.all(open.map((log) => log.close()));
  open = [];
});

describe('MemoryEventLog: placement and order', () => {
  it('puts each key on the partition Kafka would choose', async () => {
    const log = await startLog({}, 12);
    const handler = new RecordingHandler();
    await join(log, handler);
    const keys = Array.from({ length: 300 }, (_, i) => visitorKey('site', `visitor-${i}`));
    await log.produce(
      TOPIC,
      keys.map((key) => ({ key, value: key })),
    );
    await waitFor('all records', () => handler.records.length === keys.length);
    for (const record of handler.records) {
      expect(record.partition).toBe(partitionForKey(record.key, 12));
      expect(record.value.toString()).toBe(record.key);
    }
  });

  it('delivers one partition per batch, offsets ascending, and each key in produce order', async () => {
    const log = await startLog({}, 4);
    const handler = new RecordingHandler();
    await join(log, handler, { maxBatchRecords: 7 });
    const total = 2_000;
    for (let from = 0; from < total; from += 100) {
      await log.produce(
        TOPIC,
        records(100, (i) => `k${i % 37}`, from),
      );
    }
    await waitFor('all records', () => handler.records.length === total);
    const lastOffset = new Map<number, number>();
    for (const event of handler.events) {
      if (event.kind !== 'batch') continue;
      expect(event.offsets.length).toBeGreaterThan(0);
      expect(event.offsets.length).toBeLessThanOrEqual(7);
      const previous = lastOffset.get(event.partition) ?? -1;
      expect(event.offsets[0]).toBe(previous + 1);
      event.offsets.forEach((offset, i) => expect(offset).toBe(event.offsets[0]! + i));
      lastOffset.set(event.partition, event.offsets[event.offsets.length - 1]!);
    }
    const byKey = new Map<string, number[]>();
    for (const record of handler.records) {
      const list = byKey.get(record.key) ?? [];
      list.push(Number(record.value.toString().slice(1)));
      byKey.set(record.key, list);
    }
    for (const sequence of byKey.values()) {
      expect(sequence).toEqual([...sequence].sort((a, b) => a - b));
    }
  });

  it('counts the records handed to handlers by transport, topic and group', async () => {
    const consumed = (group: string): Promise<number> =>
      metricValue('pathcast_log_consumed_records_total', {
        transport: 'memory',
        topic: TOPIC,
        group,
      });
    const before = [await consumed('counted-a'), await consumed('counted-b')];
    const log = await startLog({}, 2);
    const [a, b] = [new RecordingHandler(), new RecordingHandler()];
    await join(log, a, { group: 'counted-a', maxBatchRecords: 4 });
    await log.produce(
      TOPIC,
      records(30, (i) => `k${i}`),
    );
    await waitFor('group a', () => a.records.length === 30);
    await join(log, b, { group: 'counted-b', fromBeginning: false });
    await log.produce(
      TOPIC,
      records(5, (i) => `k${i}`, 30),
    );
    await waitFor('both groups', () => a.records.length === 35 && b.records.length === 5);
    expect([await consumed('counted-a'), await consumed('counted-b')]).toEqual([
      (before[0] ?? 0) + 35,
      (before[1] ?? 0) + 5,
    ]);
  });

  it('keeps headers and timestamps, defaulting the timestamp to the clock', async () => {
    const clock = new ManualClock(1_700_000_000_000);
    const log = new MemoryEventLog({}, { logger: silentLogger, clock });
    open.push(log);
    await log.start();
    await log.ensureTopics([{ name: TOPIC, partitions: 1 }]);
    const handler = new RecordingHandler();
    await join(log, handler);
    await log.produce(TOPIC, [
      { key: 'a', value: Buffer.from([1, 2]), headers: { h: 'x' }, timestamp: 5 },
      { key: 'b', value: 'text' },
    ]);
    await waitFor('two records', () => handler.records.length === 2);
    expect(handler.records[0]).toMatchObject({ key: 'a', headers: { h: 'x' }, timestamp: 5 });
    expect([...handler.records[0]!.value]).toEqual([1, 2]);
    expect(handler.records[1]).toMatchObject({
      key: 'b',
      headers: {},
      timestamp: 1_700_000_000_000,
    });
  });

  it('answers unknown topics and closed logs with stable codes', async () => {
    const log = await startLog();
    await expect(
      log.produce(
        'nope',
        records(1, () => 'k'),
      ),
    ).rejects.toMatchObject({
      code: 'unknown_topic',
    });
    await expect(log.partitionsFor('nope')).rejects.toBeInstanceOf(StateError);
    expect(await log.partitionsFor(TOPIC)).toBe(4);
    await log.close();
    const error = await log
      .produce(
        TOPIC,
        records(1, () => 'k'),
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransientError);
    expect(error).toMatchObject({ code: 'log_unavailable', retriable: true });
  });
});

describe('MemoryEventLog: topics', () => {
  it.each([0, -1, 1.5, Number.NaN])(
    'refuses a partition count of %s and makes none of the topics asked for',
    async (partitions) => {
      const log = await startLog();
      const error = await log
        .ensureTopics([
          { name: 'good', partitions: 2 },
          { name: 'bad', partitions },
        ])
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RangeError);
      expect((error as Error).message).toBe(
        `topic bad: partitions must be >= 1, got ${partitions}`,
      );
      await expect(log.partitionsFor('good')).rejects.toMatchObject({ code: 'unknown_topic' });
      await expect(log.partitionsFor('bad')).rejects.toMatchObject({ code: 'unknown_topic' });
      expect(await log.partitionsFor(TOPIC)).toBe(4);
    },
  );
});

describe('MemoryEventLog: bounds and backpressure', () => {
  it('makes producers wait for room, then fails them with log_full', async () => {
    const log = await startLog({ maxRecordsPerPartition: 10, produceWaitMs: 30 }, 1);
    const handler = new RecordingHandler();
    // A group that never commits holds every record it was given.
    await join(log, handler);
    await log.produce(
      TOPIC,
      records(10, (i) => `k${i}`),
    );
    const started = Date.now();
    const error = await log
      .produce(
        TOPIC,
        records(1, () => 'late'),
      )
      .catch((e: unknown) => e);
    expect(Date.now() - started).toBeGreaterThanOrEqual(25);
    expect(error).toBeInstanceOf(TransientError);
    expect(error).toMatchObject({ code: 'log_full', retriable: true });
  });

  it('lets a waiting producer in as soon as the group commits', async () => {
    const log = await startLog({ maxRecordsPerPartition: 10, produceWaitMs: 5_000 }, 1);
    const handler = new RecordingHandler();
    const consumer = await join(log, handler);
    await log.produce(
      TOPIC,
      records(10, (i) => `k${i}`),
    );
    await waitFor('ten records', () => handler.records.length === 10);
    let admitted = false;
    const waiting = log
      .produce(
        TOPIC,
        records(5, (i) => `more${i}`, 10),
      )
      .then(() => {
        admitted = true;
      });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(admitted).toBe(false);
    await consumer.commit(0, 5);
    await waiting;
    expect(admitted).toBe(true);
    await waitFor('all fifteen', () => handler.records.length === 15);
  });

  it('admits waiting producers first come, first served', async () => {
    const log = await startLog({ maxRecordsPerPartition: 4, produceWaitMs: 5_000 }, 1);
    const handler = new RecordingHandler();
    const consumer = await join(log, handler);
    await log.produce(
      TOPIC,
      records(4, (i) => `k${i}`),
    );
    const order: string[] = [];
    const big = log
      .produce(
        TOPIC,
        records(3, () => 'big'),
      )
      .then(() => order.push('big'));
    const small = log
      .produce(
        TOPIC,
        records(1, () => 'small'),
      )
      .then(() => order.push('small'));
    await waitFor('four delivered', () => handler.records.length === 4);
    // One free slot would fit the small call, but the big one asked first.
    await consumer.commit(0, 1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(order).toEqual([]);
    await consumer.commit(0, 4);
    await Promise.all([big, small]);
    expect(order).toEqual(['big', 'small']);
  });

  it('bounds bytes as well as records, but admits an oversized batch into an empty partition', async () => {
    const log = await startLog({ maxBytesPerPartition: 1_000, produceWaitMs: 10 }, 1);
    await join(log, new RecordingHandler());
    const big = 'x'.repeat(2_000);
    await log.produce(TOPIC, [{ key: 'k', value: big }]);
    await expect(log.produce(TOPIC, [{ key: 'k', value: 'small' }])).rejects.toMatchObject({
      code: 'log_full',
    });
  });

  it('releases records only when every group has committed past them', async () => {
    const log = await startLog({ maxRecordsPerPartition: 4, produceWaitMs: 10 }, 1);
    const a = new RecordingHandler({ commitEachBatch: true });
    const b = new RecordingHandler();
    await join(log, a, { group: 'a' });
    const consumerB = await join(log, b, { group: 'b' });
    await log.produce(
      TOPIC,
      records(4, (i) => `k${i}`),
    );
    await waitFor('both groups read', () => a.records.length === 4 && b.records.length === 4);
    // Group a committed everything; group b nothing: still full.
    await expect(
      log.produce(
        TOPIC,
        records(1, () => 'x'),
      ),
    ).rejects.toMatchObject({
      code: 'log_full',
    });
    await consumerB.commit(0, 4);
    await log.produce(
      TOPIC,
      records(4, (i) => `k${i}`, 4),
    );
    expect((await consumerB.lag())[0]).toMatchObject({ committed: 4, end: 8, lag: 4 });
  });

  it('rejects waiting producers when the log closes', async () => {
    const log = await startLog({ maxRecordsPerPartition: 1, produceWaitMs: 60_000 }, 1);
    await join(log, new RecordingHandler());
    await log.produce(
      TOPIC,
      records(1, () => 'k'),
    );
    const waiting = log
      .produce(
        TOPIC,
        records(1, () => 'k'),
      )
      .catch((e: unknown) => e);
    await log.close();
    expect(await waiting).toMatchObject({ code: 'log_unavailable' });
  });

  it('validates its options eagerly', () => {
    expect(() => resolveMemoryLogConfig({ maxRecordsPerPartition: 0 })).toThrow(RangeError);
    expect(() => resolveMemoryLogConfig({ produceWaitMs: -1 })).toThrow(/produceWaitMs/);
    expect(() => resolveMemoryLogConfig({ maxBatchRecords: 1.5 })).toThrow(/maxBatchRecords/);
    expect(resolveMemoryLogConfig({ produceWaitMs: 0 }).produceWaitMs).toBe(0);
  });
});

describe('MemoryEventLog: groups, commits and rebalances', () => {
  it('splits partitions between members: the first revokes everything before anyone is assigned', async () => {
    const log = await startLog({}, 4);
    const first = new RecordingHandler();
    const second = new RecordingHandler();
    const c1 = await join(log, first);
    expect(first.events).toEqual([{ kind: 'assigned', partitions: [0, 1, 2, 3] }]);
    const c2 = await join(log, second);
    expect(first.events).toEqual([
      { kind: 'assigned', partitions: [0, 1, 2, 3] },
      { kind: 'revoked', partitions: [0, 1, 2, 3] },
      { kind: 'assigned', partitions: [0, 2] },
    ]);
    expect(second.events).toEqual([{ kind: 'assigned', partitions: [1, 3] }]);
    expect(c1.assigned()).toEqual([0, 2]);
    expect(c2.assigned()).toEqual([1, 3]);

    await c2.close();
    expect(second.events.at(-1)).toEqual({ kind: 'revoked', partitions: [1, 3] });
    expect(first.events.slice(-2)).toEqual([
      { kind: 'revoked', partitions: [0, 2] },
      { kind: 'assigned', partitions: [0, 1, 2, 3] },
    ]);
  });

  it('never gives a committed record to two members while the group grows and shrinks', async () => {
    const log = await startLog({}, 6);
    const handlers = [0, 1, 2].map(() => new RecordingHandler({ commitEachBatch: true }));
    const consumers: LogConsumer[] = [await join(log, handlers[0]!, { maxBatchRecords: 13 })];
    const keyOf = (i: number): string => `visitor-${i % 101}`;
    let produced = 0;
    const produceSome = async (n: number): Promise<void> => {
      await log.produce(TOPIC, records(n, keyOf, produced));
      produced += n;
    };
    await produceSome(500);
    consumers.push(await join(log, handlers[1]!, { maxBatchRecords: 13 }));
    await produceSome(500);
    consumers.push(await join(log, handlers[2]!, { maxBatchRecords: 13 }));
    await produceSome(500);
    await consumers[1]!.close();
    await produceSome(500);
    await waitFor(
      'every record',
      () => handlers.reduce((n, h) => n + h.records.length, 0) >= produced,
    );
    const seen = new Set<string>();
    for (const handler of handlers) {
      for (const record of handler.records) {
        const id = `${record.partition}/${record.offset}`;
        expect(seen.has(id), `${id} delivered twice`).toBe(false);
        seen.add(id);
      }
    }
    expect(seen.size).toBe(produced);
  });

  it('restarts from the committed offset: later records again, earlier ones not', async () => {
    const log = await startLog({}, 1);
    let commitUpTo = 0;
    const first = new RecordingHandler();
    const c1 = await join(log, first);
    await log.produce(
      TOPIC,
      records(10, (i) => `k${i}`),
    );
    await waitFor('ten records', () => first.records.length === 10);
    commitUpTo = 6;
    await c1.commit(0, commitUpTo);
    await c1.close();

    const second = new RecordingHandler();
    await join(log, second);
    await waitFor('redelivery', () => second.records.length === 4);
    expect(second.records.map((r) => r.offset)).toEqual([6, 7, 8, 9]);
  });

  it('starts a new group at the end of the log unless fromBeginning', async () => {
    const log = await startLog({}, 1);
    await join(log, new RecordingHandler(), { group: 'holder' });
    await log.produce(
      TOPIC,
      records(3, (i) => `old${i}`),
    );
    const latest = new RecordingHandler();
    await join(log, latest, { group: 'latest', fromBeginning: false });
    const earliest = new RecordingHandler();
    await join(log, earliest, { group: 'earliest', fromBeginning: true });
    await log.produce(
      TOPIC,
      records(1, () => 'new', 3),
    );
    await waitFor('earliest reads all', () => earliest.records.length === 4);
    await waitFor('latest reads the new one', () => latest.records.length === 1);
    expect(latest.values()).toEqual(['v3']);
  });

  it('lets onAssigned seek to a checkpoint offset', async () => {
    const log = await startLog({}, 1);
    await join(log, new RecordingHandler(), { group: 'holder' });
    await log.produce(
      TOPIC,
      records(10, (i) => `k${i}`),
    );
    const handler = new RecordingHandler({ onAssigned: (_p, ctx) => ctx.consumer.seek(0, 7) });
    await join(log, handler);
    await waitFor('records after the checkpoint', () => handler.records.length === 3);
    expect(handler.records.map((r) => r.offset)).toEqual([7, 8, 9]);
  });

  it('refuses commits and seeks of partitions the member does not own, and offsets out of range', async () => {
    const log = await startLog({}, 2);
    const c1 = await join(log, new RecordingHandler());
    await join(log, new RecordingHandler());
    const notMine = [0, 1].find((p) => !c1.assigned().includes(p))!;
    const mine = c1.assigned()[0]!;
    const refused = await c1.commit(notMine, 0).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(PathcastError);
    expect(refused).toMatchObject({ code: 'partition_not_owned', retriable: false });
    expect(() => c1.seek(notMine, 0)).toThrow(/not owned/);
    await expect(c1.commit(mine, 5)).rejects.toMatchObject({ code: 'offset_out_of_range' });
    await expect(c1.commit(mine, -1)).rejects.toBeInstanceOf(RangeError);
  });

  it('redelivers a batch whose handler failed with a retriable error', async () => {
    const log = await startLog({ retryInitialMs: 1, retryMaxMs: 5 }, 1);
    let failures = 0;
    const handler = new RecordingHandler({
      onBatch: () => {
        if (failures < 2) {
          failures++;
          throw new TransientError('db_down', 'not yet');
        }
      },
    });
    await join(log, handler);
    await log.produce(
      TOPIC,
      records(3, (i) => `k${i}`),
    );
    await waitFor('delivered after two failures', () => handler.records.length === 3);
    expect(failures).toBe(2);
    expect(handler.records.map((r) => r.offset)).toEqual([0, 1, 2]);
  });

  it('fails a member on a fatal error: onLost there, the partitions move to the others', async () => {
    const log = await startLog({}, 2);
    const failures: Error[] = [];
    const poisoned = new RecordingHandler({
      withOnLost: true,
      onBatch: (batch) => {
        if (batch.records.some((r) => r.key.startsWith('poison'))) {
          throw new ValidationError('bad', 'cannot handle this');
        }
      },
    });
    const healthy = new RecordingHandler({ commitEachBatch: true });
    const c1 = await join(log, poisoned, { onFailure: (e) => failures.push(e) });
    await join(log, healthy);
    const owned = [...c1.assigned()];
    const key = Array.from({ length: 50 }, (_, i) => `poison-${i}`).find(
      (k) => partitionForKey(k, 2) === owned[0],
    )!;
    await log.produce(TOPIC, [{ key, value: 'x' }]);
    await waitFor('failure reported', () => failures.length === 1);
    expect(failures[0]).toBeInstanceOf(ValidationError);
    expect(poisoned.events.at(-1)).toEqual({ kind: 'lost', partitions: owned });
    expect(c1.assigned()).toEqual([]);
    await waitFor('healthy member owns both', () => healthy.held().size === 2);
    // The poison record is the healthy member's problem now: at-least-once, nothing skipped.
    await waitFor('poison redelivered to the other member', () =>
      healthy.records.some((r) => r.key === key),
    );
  });

  it('pauses and resumes delivery', async () => {
    const log = await startLog({}, 1);
    const handler = new RecordingHandler();
    const consumer = await join(log, handler);
    consumer.pause();
    await log.produce(
      TOPIC,
      records(5, (i) => `k${i}`),
    );
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(handler.records).toHaveLength(0);
    consumer.resume();
    await waitFor('records after resume', () => handler.records.length === 5);
    consumer.pause([0]);
    await log.produce(
      TOPIC,
      records(1, () => 'k', 5),
    );
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(handler.records).toHaveLength(5);
    consumer.resume([0]);
    await waitFor('the sixth', () => handler.records.length === 6);
  });

  it('marks a batch stale when its partition is revoked mid-batch, and waits for it', async () => {
    const log = await startLog({}, 2);
    let release: (() => void) | undefined;
    let sawStale = false;
    const slow = new RecordingHandler({
      onBatch: async (_batch, ctx) => {
        if (release !== undefined) return;
        await new Promise<void>((resolve) => {
          release = resolve;
        });
        sawStale = ctx.isStale() && ctx.signal.aborted;
      },
    });
    await join(log, slow);
    await log.produce(
      TOPIC,
      records(1, () => 'k'),
    );
    await waitFor('batch in flight', () => release !== undefined);
    const joining = join(log, new RecordingHandler());
    await new Promise((resolve) => setTimeout(resolve, 10));
    // The rebalance waits for the batch in flight before calling onRevoked.
    expect(slow.events.filter((e) => e.kind === 'revoked')).toHaveLength(0);
    release?.();
    await joining;
    expect(sawStale).toBe(true);
    expect(slow.events.map((e) => e.kind)).toEqual(['assigned', 'batch', 'revoked', 'assigned']);
  });

  it('yields to the event loop between batches', async () => {
    const log = await startLog({ maxRecordsPerPartition: 100_000 }, 1);
    const handler = new RecordingHandler();
    const batches = (): number => handler.events.filter((e) => e.kind === 'batch').length;
    await join(log, handler, { maxBatchRecords: 10 });
    await log.produce(
      TOPIC,
      records(5_000, (i) => `k${i}`),
    );
    // 500 batches are waiting; other macrotasks must still get their turn after each one.
    const seenByImmediate = await new Promise<number>((resolve) =>
      setImmediate(() => resolve(batches())),
    );
    const seenByTimer = await new Promise<number>((resolve) =>
      setTimeout(() => resolve(batches()), 0),
    );
    expect(seenByImmediate).toBeLessThanOrEqual(2);
    expect(seenByTimer).toBeLessThan(500);
    await waitFor('all delivered', () => handler.records.length === 5_000);
  });
});
