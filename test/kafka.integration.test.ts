/**
 * Smoke test of the real Kafka broker: what Pathcast relies on (keyed partitioning, idempotent
 * producer, per-partition order, consumer groups) holds on the broker the services script runs.
 */
import { randomBytes } from 'node:crypto';
import {
  Kafka,
  logLevel,
  Partitioners,
  type Admin,
  type Consumer,
  type Message,
  type Producer,
} from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pollUntil } from './polling.js';
import { testServices } from './services.js';

const MESSAGES = 10_000;
const PARTITIONS = 6;
/** Prime, so keys land unevenly on the partitions as visitors would. */
const KEYS = 257;
const BATCH = 500;

interface Sent {
  readonly id: number;
  readonly key: string;
  /** Position of this message among its key's messages, in send order. */
  readonly seq: number;
}

interface Received extends Sent {
  readonly partition: number;
  readonly keyHeader: string | undefined;
}

/** Deletes a consumer group so test groups do not pile up; one already gone is fine. */
async function deleteGroupIfPresent(admin: Admin, groupId: string): Promise<void> {
  try {
    await admin.deleteGroups([groupId]);
  } catch (error) {
    // NOTE: an empty group without committed offsets is removed by the broker itself.
    // (KafkaJSDeleteGroupsError is not a named ESM export of the CommonJS kafkajs: duck-type.)
    const groups = (error as { groups?: { error?: { type?: string } }[] }).groups;
    const gone =
      Array.isArray(groups) &&
      groups.length > 0 &&
      groups.every((g) => g.error?.type === 'GROUP_ID_NOT_FOUND');
    if (!gone) throw error;
  }
}

const uniqueName = (prefix: string): string => `${prefix}-${randomBytes(6).toString('hex')}`;

describe('Kafka broker', () => {
  const kafka = new Kafka({
    clientId: 'pathcast-integration',
    brokers: testServices().kafkaBrokers,
    logLevel: logLevel.ERROR,
  });
  const topic = uniqueName('pathcast-it-kafka');
  const groupId = uniqueName('pathcast-it-group');
  const admin = kafka.admin();
  let adminConnected = false;
  let producer: Producer | undefined;
  let consumer: Consumer | undefined;

  beforeAll(async () => {
    await admin.connect();
    adminConnected = true;
    const created = await admin.createTopics({
      topics: [{ topic, numPartitions: PARTITIONS, replicationFactor: 1 }],
      waitForLeaders: true,
    });
    expect(created).toBe(true);
  });

  afterAll(async () => {
    await consumer?.disconnect();
    await producer?.disconnect();
    if (adminConnected) {
      // Group first: deleting the topic drops the group's offsets, after which the broker may
      // remove the empty group by itself, racing our delete.
      await deleteGroupIfPresent(admin, groupId);
      await admin.deleteTopics({ topics: [topic] });
      await admin.disconnect();
    }
  });

  it('delivers 10,000 keyed messages exactly once, each key in send order on one partition', async () => {
    producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await producer.connect();
    const perKey = new Map<string, number>();
    for (let start = 0; start < MESSAGES; start += BATCH) {
      const messages: Message[] = [];
      for (let id = start; id < Math.min(start + BATCH, MESSAGES); id += 1) {
        // Interleaved keys: consecutive messages rarely share a key.
        const key = `visitor-${(id * 7919) % KEYS}`;
        const seq = perKey.get(key) ?? 0;
        perKey.set(key, seq + 1);
        const sent: Sent = { id, key, seq };
        messages.push({ key, value: JSON.stringify(sent) });
      }
      await producer.send({ topic, acks: -1, messages });
    }

    // The log holds exactly what was sent: no retry of the idempotent producer left a copy.
    const offsets = await admin.fetchTopicOffsets(topic);
    expect(offsets).toHaveLength(PARTITIONS);
    const end = new Map(offsets.map((o) => [o.partition, Number(o.high)]));
    expect(offsets.reduce((n, o) => n + Number(o.high) - Number(o.low), 0)).toBe(MESSAGES);

    consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const received: Received[] = [];
    const next = new Map<number, number>();
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        const value = JSON.parse(message.value?.toString() ?? 'null') as Sent;
        received.push({ ...value, partition, keyHeader: message.key?.toString() });
        next.set(partition, Number(message.offset) + 1);
      },
    });
    // Done when every partition is read up to its end: nothing more can arrive after that.
    await pollUntil(
      'the consumer to reach the end of every partition',
      () => ([...end].every(([p, high]) => (next.get(p) ?? 0) >= high) ? true : undefined),
      { timeoutMs: 60_000, describe: () => `${received.length} of ${MESSAGES} received` },
    );

    // Exactly once: every id, no other, no repeat.
    expect(received).toHaveLength(MESSAGES);
    const ids = received.map((r) => r.id).sort((a, b) => a - b);
    expect(ids).toEqual(Array.from({ length: MESSAGES }, (_, i) => i));
    expect(received.filter((r) => r.keyHeader !== r.key)).toEqual([]);

    // Per key: one partition, and the sequence numbers in the order they were sent.
    const seen = new Map<string, { partitions: Set<number>; seqs: number[] }>();
    for (const r of received) {
      const entry = seen.get(r.key) ?? { partitions: new Set<number>(), seqs: [] };
      entry.partitions.add(r.partition);
      entry.seqs.push(r.seq);
      seen.set(r.key, entry);
    }
    expect(seen.size).toBe(KEYS);
    const split = [...seen].filter(([, e]) => e.partitions.size !== 1).map(([key]) => key);
    expect(split).toEqual([]);
    const outOfOrder = [...seen]
      .filter(([key, e]) => e.seqs.some((seq, i) => seq !== i) || e.seqs.length !== perKey.get(key))
      .map(([key, e]) => `${key}: ${e.seqs.slice(0, 10).join(',')}...`);
    expect(outOfOrder).toEqual([]);
    // The keys spread over every partition, so the order check covered them all.
    expect(new Set(received.map((r) => r.partition)).size).toBe(PARTITIONS);
  });
});
