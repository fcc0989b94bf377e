/**
 * The compacted profile topic against the real broker (test/global-setup.ts): the sink creates
 * it compacted, the source loads it whole, and updates and tombstones produced afterwards reach
 * the cache live.
 */
import { randomBytes } from 'node:crypto';
import kafkajs, { type Admin, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryLogger, PathcastError, type Profile } from '../core/index.js';
import type { KafkaConfig } from '../config/index.js';
import { pollUntil } from '../../test/polling.js';
import { testServices } from '../../test/services.js';
import { KafkaProfileSink } from './kafka-profile-sink.js';
import { KafkaProfileSource } from './kafka-profile-source.js';
import { ProfileCache } from './profile-cache.js';

const unique = (prefix: string): string => `${prefix}-${randomBytes(5).toString('hex')}`;
const brokers = testServices().kafkaBrokers;
const kafka: KafkaConfig = {
  brokers,
  clientId: 'pathcast-it-crm',
  topicPrefix: unique('pathcast-it'),
  group: 'unused',
  partitions: 3,
  ssl: false,
  username: undefined,
  password: undefined,
};
const topic = `${kafka.topicPrefix}.crm-profiles`;
const client = new kafkajs.Kafka({
  clientId: 'pathcast-it-crm-admin',
  brokers,
  logLevel: kafkajs.logLevel.NOTHING,
});
const admin: Admin = client.admin();
const rawProducer: Producer = client.producer();
const sink = new KafkaProfileSink({ kafka, partitions: 3 });
const logger = new MemoryLogger();
const closers: Array<() => Promise<void>> = [];

const profile = (userId: string, segment: string, updatedAt = 1_700_000_000_000): Profile => ({
  userId,
  emailHash: '',
  segment,
  lifetimeValue: 1,
  orders: 1,
  firstOrderAt: null,
  lastOrderAt: null,
  tenureDays: 1,
  churned: false,
  attributes: { note: `'"; DROP -- ünï 😀` },
  updatedAt,
});

beforeAll(async () => {
  await admin.connect();
  await rawProducer.connect();
  await sink.start();
});

afterAll(async () => {
  for (const close of closers.reverse()) await close();
  await sink.close();
  await rawProducer.disconnect();
  await admin.deleteTopics({ topics: [topic] }).catch((error: unknown) => {
    throw new Error(`could not delete test topic ${topic}`, { cause: error });
  });
  await admin.disconnect();
});

async function startSource(): Promise<{ source: KafkaProfileSource; cache: ProfileCache }> {
  const source = new KafkaProfileSource(
    { kafka, loadTimeoutMs: 60_000, maxWaitTimeMs: 100 },
    { logger },
  );
  await source.start();
  const cache = new ProfileCache({}, { source, logger });
  closers.push(
    () => cache.close(),
    () => source.close(),
  );
  return { source, cache };
}

describe('the compacted CRM profile topic', () => {
  it('is created compacted by the sink', async () => {
    const described = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [
        { type: kafkajs.ConfigResourceTypes.TOPIC, name: topic, configNames: ['cleanup.policy'] },
      ],
    });
    expect(described.resources[0]?.configEntries[0]?.configValue).toBe('compact');
  });

  it('loads every profile on start, the last write of a user winning, tombstones applied', async () => {
    const users = Array.from({ length: 2_000 }, (_, i) => profile(`u${i}`, 'v1'));
    await sink.write(users);
    await sink.write([profile('u1', 'v2'), profile('u2', 'v2')]);
    await sink.delete(['u3']);
    // A foreign producer's bad record is skipped and reported, not fatal.
    await rawProducer.send({ topic, messages: [{ key: 'bad', value: '{"userId":"other"}' }] });

    const { source, cache } = await startSource();
    expect(source.size).toBe(1_999);
    expect((await cache.get('u0'))?.segment).toBe('v1');
    expect((await cache.get('u1'))?.segment).toBe('v2');
    expect((await cache.get('u1'))?.attributes).toEqual({ note: `'"; DROP -- ünï 😀` });
    expect(await cache.get('u3')).toBeNull();
    expect(await cache.get('bad')).toBeNull();
    expect(logger.lines.some((l) => l.event === 'crm_topic_record_invalid')).toBe(true);
  });

  it('brings updates and tombstones to the cache live', async () => {
    const { cache } = await startSource();
    const heard: Array<[string, string | null]> = [];
    cache.onProfile((userId, p) => heard.push([userId, p?.segment ?? null]));
    expect((await cache.get('u10'))?.segment).toBe('v1');
    expect(await cache.get('newcomer')).toBeNull();

    await sink.write([profile('u10', 'live-update'), profile('newcomer', 'signed-up')]);
    await pollUntil(
      'the update of u10 to reach the cache',
      () => (cache.peek('u10')?.segment === 'live-update' ? true : undefined),
      { timeoutMs: 10_000, describe: () => JSON.stringify(cache.peek('u10')) },
    );
    // The cached "unknown" turned into the profile without waiting for its ttl.
    expect(cache.peek('newcomer')?.segment).toBe('signed-up');

    await sink.delete(['u10']);
    await pollUntil(
      'the tombstone of u10 to reach the cache',
      () => (cache.peek('u10') === null ? true : undefined),
      {
        timeoutMs: 10_000,
      },
    );
    expect(heard).toEqual(
      expect.arrayContaining([
        ['u10', 'live-update'],
        ['newcomer', 'signed-up'],
        ['u10', null],
      ]),
    );
  });

  it('starts on an empty topic at once', async () => {
    const empty = new KafkaProfileSource({
      kafka,
      topic: unique('pathcast-it-empty'),
      partitions: 1,
    });
    const started = Date.now();
    await empty.start();
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(empty.size).toBe(0);
    await empty.close();
    await admin.deleteTopics({ topics: [empty.topic] });
  });

  it('refuses a profile topic that is not compacted', async () => {
    const plain = unique('pathcast-it-plain');
    await admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic: plain, numPartitions: 1 }],
    });
    const wrong = new KafkaProfileSink({ kafka, topic: plain });
    const failure = await wrong.start().then(
      () => undefined,
      (error: unknown) => error,
    );
    await wrong.close();
    await admin.deleteTopics({ topics: [plain] });
    expect(failure).toBeInstanceOf(PathcastError);
    expect((failure as PathcastError).code).toBe('crm_topic_not_compacted');
  });
});
