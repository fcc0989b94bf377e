/**
 * KafkaCheckpointStore against the real broker (test/global-setup.ts): checkpoints on a
 * compacted topic, restored by another process, larger than the broker takes in one record,
 * and never applied when torn or corrupt.
 */
import { createHash, randomBytes } from 'node:crypto';
import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../core/index.js';
import type { KafkaConfig } from '../config/index.js';
import { KafkaEventLog } from '../ingest/index.js';
import { testServices } from '../../test/services.js';
import { encodeCheckpoint, type Checkpoint } from './checkpoint-store.js';
import { KafkaCheckpointStore } from './kafka-checkpoint-store.js';
import { chunkKey, encodeChunks } from './kafka-checkpoint-store-format.js';

const suffix = randomBytes(5).toString('hex');
const TOPIC = `pathcast-it-ckpt-${suffix}.checkpoints`;
const EVENTS = `pathcast-it-ckpt-${suffix}.events`;
const GROUP = 'processors';

function kafkaConfig(brokers: readonly string[]): KafkaConfig {
  return {
    brokers,
    clientId: 'pathcast-it-checkpoints',
    topicPrefix: `pathcast-it-ckpt-${suffix}`,
    group: GROUP,
    partitions: 1,
    ssl: false,
    username: undefined,
    password: undefined,
  };
}

function checkpoint(nextOffset: number, bytes: number): Checkpoint {
  return { nextOffset, state: randomBytes(bytes) };
}

/** Offset and a digest of the state: deep-equal on megabytes of Buffer is very slow in vitest. */
function summary(c: Checkpoint | undefined): [number, string] | undefined {
  return c === undefined
    ? undefined
    : [c.nextOffset, createHash('sha256').update(c.state).digest('hex')];
}

describe('KafkaCheckpointStore on Kafka', () => {
  let log: KafkaEventLog;
  let brokers: string[];
  const stores: KafkaCheckpointStore[] = [];

  /** A store as a newly started process would have it: its own reader, reading from the start. */
  async function open(): Promise<KafkaCheckpointStore> {
    const store = new KafkaCheckpointStore(
      { log, topic: TOPIC, logger: silentLogger },
      { catchUpTimeoutMs: 30_000 },
    );
    await store.start();
    stores.push(store);
    return store;
  }

  beforeAll(async () => {
    brokers = testServices().kafkaBrokers;
    log = new KafkaEventLog(
      kafkaConfig(brokers),
      { sessionTimeoutMs: 10_000, heartbeatIntervalMs: 500, maxWaitTimeMs: 200 },
      { logger: silentLogger },
    );
    await log.start();
    await log.ensureTopics([{ name: TOPIC, partitions: 1, compacted: true }]);
  });

  afterAll(async () => {
    for (const store of stores) await store.close();
    await log?.close();
    const kafka = new kafkajs.Kafka({ brokers, logLevel: kafkajs.logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [TOPIC] }).catch(() => undefined);
    await admin.disconnect();
  });

  it('creates the topic compacted, with the broker default record size the chunks are sized for', async () => {
    const kafka = new kafkajs.Kafka({ brokers, logLevel: kafkajs.logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    try {
      const described = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [{ type: kafkajs.ConfigResourceTypes.TOPIC, name: TOPIC }],
      });
      const entries = described.resources[0]?.configEntries ?? [];
      const value = (name: string): string | undefined =>
        entries.find((e) => e.configName === name)?.configValue;
      expect(value('cleanup.policy')).toBe('compact');
      // Chunks of 256 KiB (plus a 60-byte header) stay far below it.
      expect(Number(value('max.message.bytes'))).toBeGreaterThanOrEqual(512 * 1024);
    } finally {
      await admin.disconnect();
    }
  });

  it('restores the latest of several checkpoints in another process, larger than one record may be', async () => {
    const writer = await open();
    const saved: Checkpoint[] = [];
    for (let n = 1; n <= 4; n++) {
      const c = checkpoint(n * 1_000, n === 4 ? 3 * 1024 * 1024 : 50_000);
      saved.push(c);
      await writer.save(EVENTS, GROUP, 0, c);
    }
    await writer.save(EVENTS, GROUP, 1, checkpoint(77, 100));
    // As one record the last checkpoint would be refused by the broker.
    await expect(
      log.produce(TOPIC, [{ key: 'oversize-probe', value: saved[3]!.state }]),
    ).rejects.toMatchObject({ code: 'log_record_rejected' });

    const restarted = await open();
    expect(summary(await restarted.load(EVENTS, GROUP, 0))).toEqual(summary(saved[3]));
    expect((await restarted.load(EVENTS, GROUP, 1))?.nextOffset).toBe(77);
    expect(await restarted.load(EVENTS, GROUP, 2)).toBeUndefined();
  });

  it('falls back to the previous checkpoint past a torn write and a corrupt record', async () => {
    const writer = await open();
    const address = { topic: EVENTS, group: GROUP, partition: 5 };
    const older = checkpoint(10, 600_000);
    const newer = checkpoint(20, 600_000);
    await writer.save(EVENTS, GROUP, 5, older); // slot 0, sequence 1
    await writer.save(EVENTS, GROUP, 5, newer); // slot 1, sequence 2
    // A kill -9 after the first of three chunks of sequence 3, which goes to slot 0.
    const torn = encodeChunks(encodeCheckpoint(checkpoint(30, 600_000)), 0, 3, 256 * 1024);
    expect(torn).toHaveLength(3);
    await log.produce(TOPIC, [{ key: chunkKey(address, 0, 0), value: torn[0]! }]);
    expect(summary(await (await open()).load(EVENTS, GROUP, 5))).toEqual(summary(newer));

    // Garbage as the latest record of a chunk of slot 1 as well: with slot 0 torn, nothing
    // readable is left, and the store says so rather than apply either.
    await log.produce(TOPIC, [{ key: chunkKey(address, 1, 1), value: randomBytes(1_000) }]);
    await expect((await open()).load(EVENTS, GROUP, 5)).rejects.toMatchObject({
      code: 'checkpoint_corrupt',
    });

    // A save after that writes a whole slot again, and it is what a new process restores.
    const repaired = checkpoint(40, 10_000);
    await writer.save(EVENTS, GROUP, 5, repaired);
    expect(summary(await (await open()).load(EVENTS, GROUP, 5))).toEqual(summary(repaired));
  });
});
