import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/index.js';
import type { KafkaConfig } from '../../config/index.js';
import { createEventLog } from './index.js';

const config: KafkaConfig = {
  brokers: [],
  clientId: 'pathcast',
  topicPrefix: 'pathcast',
  group: 'pathcast-processors',
  partitions: 8,
  ssl: false,
  username: undefined,
  password: undefined,
};

describe('createEventLog', () => {
  it('is the in-memory log when no broker is configured', async () => {
    const log = createEventLog(config, { logger: silentLogger });
    expect(log.kind).toBe('memory');
    await log.start();
    await log.ensureTopics([{ name: 'pathcast.events', partitions: 8 }]);
    expect(await log.partitionsFor('pathcast.events')).toBe(8);
    await log.close();
    await log.close();
  });

  it('is Kafka when brokers are configured, without connecting before use', async () => {
    const log = createEventLog(
      { ...config, brokers: ['127.0.0.1:1'] },
      { logger: silentLogger },
      { kafka: { produceTimeoutMs: 1_000 } },
    );
    expect(log.kind).toBe('kafka');
    await log.start();
    await log.close();
    await log.close();
  });

  it('validates the Kafka settings when it is built, not at the first produce', () => {
    expect(() =>
      createEventLog(
        { ...config, brokers: ['b:9092'], username: 'only-user' },
        { logger: silentLogger },
      ),
    ).toThrow(/username and a password/);
    expect(() =>
      createEventLog(
        { ...config, brokers: ['b:9092'] },
        { logger: silentLogger },
        { kafka: { maxWaitTimeMs: 0 } },
      ),
    ).toThrow(/maxWaitTimeMs/);
  });
});
