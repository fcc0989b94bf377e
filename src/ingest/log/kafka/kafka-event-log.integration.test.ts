/**
 * The Kafka transport against the real broker (test/global-setup.ts): keyed placement, order
 * per partition, manual commits, rebalances with revocation, restart from the committed offset,
 * and a quick `log_unavailable` when the broker cannot be reached.
 */
import { randomBytes } from 'node:crypto';
import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TransientError, ValidationError, silentLogger } from '../../../core/index.js';
import type { KafkaConfig } from '../../../config/index.js';
import { testServices } from '../../../../test/services.js';
import type {
  BatchContext,
  ConsumerContext,
  LogConsumer,
  PartitionHandler,
  RecordBatch,
} from '../event-log.js';
import { partitionForKey } from '../partitioner.js';
import { visitorKey } from '../record-key.js';
import { RecordingHandler, waitFor } from '../test-support.js';
import { KafkaEventLog } from './kafka-event-log.js';
import type { KafkaLogOptions } from './kafka-options.js';

const unique = (prefix: string): string => `${prefix}-${randomBytes(5).toString('hex')}`;

/** Quick group dynamics, so rebalances happen in seconds rather than tens of seconds. */
const FAST: KafkaLogOptions = {
  sessionTimeoutMs: 10_000,
  heartbeatIntervalMs: 500,
  rebalanceTimeoutMs: 20_000,
  maxWaitTimeMs: 200,
};

function kafkaConfig(brokers: readonly string[]): KafkaConfig {
  return {
    brokers,
    clientId: 'pathcast-it-log',
    topicPrefix: 'pathcast-it',
    group: 'unused',
    partitions: 4,
    ssl: false,
    username: undefined,
    password: undefined,
  };
}

/** A handler that commits every batch and records, per member, what it committed. */
class CommittingHandler implements PartitionHandler {
  readonly committed: Array<{ partition: number; offset: number; value: string }> = [];
  readonly events: string[] = [];
  private readonly slowMs: number;

  constructor(slowMs = 0) {
    this.slowMs = slowMs;
  }

  onAssigned(partitions: readonly number[], _ctx: ConsumerContext): Promise<void> {
    this.events.push(`assigned:${partitions.join(',')}`);
    return Promise.resolve();
  }

  onRevoked(partitions: readonly number[]): Promise<void> {
    this.events.push(`revoked:${partitions.join(',')}`);
    return Promise.resolve();
  }

  onLost(partitions: readonly number[]): Promise<void> {
    this.events.push(`lost:${partitions.join(',')}`);
    return Promise.resolve();
  }

  async onBatch(batch: RecordBatch, ctx: BatchContext): Promise<void> {
    if (this.slowMs > 0) {
      // A long batch: heartbeat through it, and give up early when it turns stale.
      const until = Date.now() + this.slowMs;
      while (Date.now() < until) {
        await ctx.heartbeat();
        if (ctx.isStale()) return;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    await ctx.consumer.commit(batch.partition, batch.nextOffset);
    for (const record of batch.records) {
      this.committed.push({
        partition: record.partition,
        offset: record.offset,
        value: record.value.toString(),
      });
    }
  }

  held(): number[] {
    const held = new Set<number>();
    for (const event of this.events) {
      const [kind, list] = event.split(':');
      const partitions = (list ?? '').split(',').filter(Boolean).map(Number);
      for (const p of partitions) {
        if (kind === 'assigned') held.add(p);
        else held.delete(p);
      }
    }
    return [...held].sort((a, b) => a - b);
  }
}

describe('KafkaEventLog against the real broker', () => {
  const brokers = testServices().kafkaBrokers;
  const log = new KafkaEventLog(kafkaConfig(brokers), FAST, { logger: silentLogger });
  const admin = new kafkajs.Kafka({ brokers, logLevel: kafkajs.logLevel.NOTHING }).admin();
  const topics: string[] = [];
  const consumers: LogConsumer[] = [];

  async function topic(partitions: number, compacted = false): Promise<string> {
    const name = unique('pathcast-it-log');
    topics.push(name);
    await log.ensureTopics([{ name, partitions, compacted }]);
    return name;
  }

  async function consume(
    topicName: string,
    group: string,
    handler: PartitionHandler,
  ): Promise<LogConsumer> {
    const consumer = await log.consume({ topic: topicName, group, handler, fromBeginning: true });
    consumers.push(consumer);
    return consumer;
  }

  beforeAll(async () => {
    await log.start();
    await admin.connect();
  });

  afterAll(async () => {
    await Promise.allSettled(consumers.map((c) => c.close()));
    await log.close();
    if (topics.length > 0) await admin.deleteTopics({ topics });
    await admin.disconnect();
  });

  it('creates topics idempotently, compacted ones with cleanup.policy=compact', async () => {
    const name = await topic(3, true);
    await log.ensureTopics([{ name, partitions: 3, compacted: true }]);
    expect(await log.partitionsFor(name)).toBe(3);
    await expect(log.partitionsFor(unique('pathcast-it-missing'))).rejects.toMatchObject({
      code: 'unknown_topic',
    });
    const described = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: kafkajs.ConfigResourceTypes.TOPIC, name }],
    });
    const entries = described.resources[0]?.configEntries ?? [];
    expect(entries.find((e) => e.configName === 'cleanup.policy')?.configValue).toBe('compact');
  });

  it('refuses a partition count below one and creates none of the topics asked for', async () => {
    // Not added to `topics`: it must not exist, so there is nothing to delete.
    const good = unique('pathcast-it-good');
    const refused = log.ensureTopics([
      { name: good, partitions: 1 },
      { name: 'bad', partitions: 0 },
    ]);
    await expect(refused).rejects.toThrow(
      new RangeError('topic bad: partitions must be >= 1, got 0'),
    );
    expect(await admin.listTopics()).not.toContain(good);
  });

  it('delivers keyed records on the partitioner partition, in order, with manual commits', async () => {
    const partitions = 4;
    const name = await topic(partitions);
    const group = unique('g');
    const handler = new RecordingHandler({ commitEachBatch: true });
    const consumer = await consume(name, group, handler);
    const total = 3_000;
    const keyOf = (i: number): string => visitorKey('site', `visitor-${i % 97}`);
    // Many concurrent calls: the producer coalesces them, and must keep each key's order.
    const calls: Array<Promise<void>> = [];
    for (let from = 0; from < total; from += 50) {
      calls.push(
        log.produce(
          name,
          Array.from({ length: 50 }, (_, j) => ({
            key: keyOf(from + j),
            value: String(from + j),
            headers: { seq: String(from + j) },
          })),
        ),
      );
    }
    await Promise.all(calls);
    await waitFor('every record', () => handler.records.length >= total, 60_000);
    expect(handler.records).toHaveLength(total);

    const lastOffset = new Map<number, number>();
    for (const record of handler.records) {
      expect(record.partition).toBe(partitionForKey(record.key, partitions));
      expect(record.headers['seq']).toBe(record.value.toString());
      expect(record.offset).toBeGreaterThan(lastOffset.get(record.partition) ?? -1);
      lastOffset.set(record.partition, record.offset);
    }
    const lastByKey = new Map<string, number>();
    for (const record of handler.records) {
      const seq = Number(record.value.toString());
      expect(seq).toBeGreaterThan(lastByKey.get(record.key) ?? -1);
      lastByKey.set(record.key, seq);
    }
    const lag = await waitFor('commits reach the broker', async () => {
      const current = await consumer.lag();
      return current.every((p) => p.lag === 0) ? current : undefined;
    });
    expect(lag.reduce((n, p) => n + (p.committed ?? 0), 0)).toBe(total);
  });

  it('hands partitions over on a join with revocation first, and no committed record twice', async () => {
    const partitions = 6;
    const name = await topic(partitions);
    const group = unique('g');
    // Slow batches keep the first member busy, so it notices the rebalance inside a batch.
    const first = new CommittingHandler(1_500);
    const second = new CommittingHandler();
    await consume(name, group, first);
    expect(first.held()).toEqual([0, 1, 2, 3, 4, 5]);

    let produced = 0;
    const produceSome = async (n: number): Promise<void> => {
      const batch = Array.from({ length: n }, (_, i) => ({
        key: `visitor-${(produced + i) % 31}`,
        value: String(produced + i),
      }));
      produced += n;
      await log.produce(name, batch);
    };
    await produceSome(300);
    await waitFor(
      'the first member is busy',
      () => first.committed.length > 0 || undefined,
      30_000,
    );

    await consume(name, group, second);
    await waitFor(
      'both members hold partitions',
      () => {
        const a = first.held();
        const b = second.held();
        return a.length > 0 && b.length > 0 && a.length + b.length === partitions
          ? true
          : undefined;
      },
      60_000,
    );
    expect(first.events).toContain('revoked:0,1,2,3,4,5');
    expect(first.held().filter((p) => second.held().includes(p))).toEqual([]);

    await produceSome(300);
    await waitFor(
      'every record committed',
      () => first.committed.length + second.committed.length >= produced,
      90_000,
    );
    const seen = new Set<string>();
    for (const entry of [...first.committed, ...second.committed]) {
      const id = `${entry.partition}/${entry.offset}`;
      expect(seen.has(id), `${id} committed by both members`).toBe(false);
      seen.add(id);
    }
    expect(seen.size).toBe(produced);

    // Shrinking back: the leaver revokes (flushes) before the other member gets its partitions.
    const leaver = consumers.at(-1)!;
    await leaver.close();
    expect(second.events.at(-1)).toMatch(/^revoked:/);
    await waitFor(
      'the first member holds all again',
      () => (first.held().length === partitions ? true : undefined),
      60_000,
    );
    await produceSome(100);
    await waitFor(
      'the last records committed',
      () => first.committed.length + second.committed.length >= produced,
      90_000,
    );
    const all = [...first.committed, ...second.committed].map((e) => `${e.partition}/${e.offset}`);
    expect(new Set(all).size).toBe(produced);
  });

  it('reports partitions lost when the rebalance is noticed while idle, then assigns again', async () => {
    const name = await topic(2);
    const group = unique('g');
    const idle = new CommittingHandler();
    await consume(name, group, idle);
    await consume(name, group, new CommittingHandler());
    await waitFor(
      'the idle member is reassigned',
      () => (idle.events.length >= 3 ? true : undefined),
      30_000,
    );
    // No batch was in flight, so there was no window to revoke in band.
    expect(idle.events.slice(0, 3)).toEqual([
      'assigned:0,1',
      'lost:0,1',
      expect.stringMatching(/^assigned:\d$/),
    ]);
  });

  it('redelivers a batch whose handler failed with a retriable error', async () => {
    const name = await topic(1);
    let failures = 0;
    const handler = new RecordingHandler({
      commitEachBatch: true,
      onBatch: () => {
        if (failures < 2) {
          failures++;
          throw new TransientError('db_down', 'not yet');
        }
      },
    });
    await consume(name, unique('g'), handler);
    await log.produce(
      name,
      Array.from({ length: 5 }, (_, i) => ({ key: `k${i}`, value: String(i) })),
    );
    await waitFor('delivered after two failures', () => handler.records.length >= 5, 60_000);
    expect(failures).toBe(2);
    expect(handler.records.map((r) => r.offset)).toEqual([0, 1, 2, 3, 4]);
  });

  it('restarts after kafkajs gives up retrying a batch: onLost, then assigned again', async () => {
    const name = await topic(1);
    // kafkajs retries the fetch loop 5 times, then crashes and restarts the consumer.
    let failures = 0;
    const handler = new RecordingHandler({
      withOnLost: true,
      onBatch: () => {
        if (failures < 8) {
          failures++;
          throw new TransientError('db_down', 'still down');
        }
      },
    });
    await consume(name, unique('g'), handler);
    await log.produce(name, [{ key: 'k', value: 'v' }]);
    await waitFor('delivered after the restart', () => handler.records.length === 1, 90_000);
    expect(failures).toBe(8);
    expect(handler.events.filter((e) => e.kind !== 'batch')).toEqual([
      { kind: 'assigned', partitions: [0] },
      { kind: 'lost', partitions: [0] },
      { kind: 'assigned', partitions: [0] },
    ]);
  }, 120_000);

  it('fails the consumer on a fatal handler error: onLost, then onFailure', async () => {
    const name = await topic(1);
    const failures: Error[] = [];
    const handler = new RecordingHandler({
      withOnLost: true,
      onBatch: () => {
        throw new ValidationError('poison', 'cannot handle this record');
      },
    });
    const consumer = await log.consume({
      topic: name,
      group: unique('g'),
      handler,
      fromBeginning: true,
      onFailure: (error) => failures.push(error),
    });
    consumers.push(consumer);
    await log.produce(name, [{ key: 'k', value: 'poison' }]);
    await waitFor('failure reported', () => failures.length === 1 || undefined, 60_000);
    expect(handler.events.map((e) => e.kind)).toEqual(['assigned', 'lost']);
    expect(consumer.assigned()).toEqual([]);
  });

  it('pauses and resumes fetching', async () => {
    const name = await topic(1);
    const handler = new RecordingHandler();
    const consumer = await consume(name, unique('g'), handler);
    consumer.pause();
    await log.produce(name, [{ key: 'k', value: 'while paused' }]);
    // Several fetch cycles (maxWaitTimeMs is 200 ms) go by without a delivery.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(handler.records).toHaveLength(0);
    consumer.resume();
    await waitFor('the record after resume', () => handler.records.length === 1, 30_000);
  });

  it('restarts from the committed offset: records after it come again, those before do not', async () => {
    const name = await topic(1);
    const group = unique('g');
    const first = new RecordingHandler();
    const c1 = await consume(name, group, first);
    await log.produce(
      name,
      Array.from({ length: 20 }, (_, i) => ({ key: `k${i}`, value: String(i) })),
    );
    await waitFor('twenty records', () => first.records.length === 20, 30_000);
    await c1.commit(0, 12);
    await c1.close();

    const second = new RecordingHandler();
    await consume(name, group, second);
    await waitFor('the uncommitted rest', () => second.records.length >= 8, 30_000);
    expect(second.records.map((r) => r.offset)).toEqual([12, 13, 14, 15, 16, 17, 18, 19]);
  });

  it('starts a partition at the offset onAssigned seeks to', async () => {
    const name = await topic(1);
    await log.produce(
      name,
      Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: String(i) })),
    );
    const handler = new RecordingHandler({ onAssigned: (_p, ctx) => ctx.consumer.seek(0, 6) });
    await consume(name, unique('g'), handler);
    await waitFor('records from the checkpoint', () => handler.records.length >= 4, 30_000);
    expect(handler.records.map((r) => r.offset)).toEqual([6, 7, 8, 9]);
  });

  it('fails produce quickly with log_unavailable when no broker answers', async () => {
    const unreachable = new KafkaEventLog(
      kafkaConfig(['127.0.0.1:1']),
      { produceTimeoutMs: 3_000, connectionTimeoutMs: 500 },
      { logger: silentLogger },
    );
    await unreachable.start();
    try {
      const started = Date.now();
      const error = await unreachable
        .produce('anything', [{ key: 'k', value: 'v' }])
        .catch((e: unknown) => e);
      expect(Date.now() - started).toBeLessThan(4_000);
      expect(error).toBeInstanceOf(TransientError);
      expect(error).toMatchObject({ code: 'log_unavailable', retriable: true });
      await expect(unreachable.ensureTopics([{ name: 'x', partitions: 1 }])).rejects.toMatchObject({
        code: 'log_unavailable',
      });
    } finally {
      await unreachable.close();
    }
  });
});
