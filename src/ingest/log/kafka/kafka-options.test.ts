import kafkajs, { type LogEntry } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { MemoryLogger } from '../../../core/index.js';
import type { KafkaConfig } from '../../../config/index.js';
import { kafkaLogFields } from './kafka-logger.js';
import { KAFKA_LOG_DEFAULTS, kafkaClientConfig, resolveKafkaLogOptions } from './kafka-options.js';

const { logLevel } = kafkajs;

const base: KafkaConfig = {
  brokers: ['127.0.0.1:9092'],
  clientId: 'pathcast',
  topicPrefix: 'pathcast',
  group: 'pathcast-processors',
  partitions: 8,
  ssl: false,
  username: undefined,
  password: undefined,
};

describe('resolveKafkaLogOptions', () => {
  it('fills defaults', () => {
    expect(resolveKafkaLogOptions()).toEqual(KAFKA_LOG_DEFAULTS);
    expect(resolveKafkaLogOptions({ produceTimeoutMs: 1_000 }).produceTimeoutMs).toBe(1_000);
  });

  it.each([
    [{ produceTimeoutMs: 0 }, /produceTimeoutMs/],
    [{ maxBatchRecords: 2.5 }, /maxBatchRecords/],
    [{ replicationFactor: 0 }, /replicationFactor/],
    [{ heartbeatIntervalMs: 30_000 }, /below sessionTimeoutMs/],
  ])('refuses %j', (options, message) => {
    expect(() => resolveKafkaLogOptions(options)).toThrow(message);
  });

  it('accepts the broker-default replication factor', () => {
    expect(resolveKafkaLogOptions({ replicationFactor: -1 }).replicationFactor).toBe(-1);
  });
});

describe('kafkaClientConfig', () => {
  const options = resolveKafkaLogOptions();

  it('maps brokers, client id, TLS and bounded timeouts', () => {
    const config = kafkaClientConfig({ ...base, ssl: true }, options, new MemoryLogger());
    expect(config).toMatchObject({
      clientId: 'pathcast',
      brokers: ['127.0.0.1:9092'],
      ssl: true,
      connectionTimeout: options.connectionTimeoutMs,
      requestTimeout: options.requestTimeoutMs,
    });
    expect(config.sasl).toBeUndefined();
  });

  it('uses SASL/PLAIN when both a username and a password are set', () => {
    const config = kafkaClientConfig(
      { ...base, username: 'svc', password: 's3cret' },
      options,
      new MemoryLogger(),
    );
    expect(config.sasl).toEqual({ mechanism: 'plain', username: 'svc', password: 's3cret' });
  });

  it('refuses half a SASL pair and an empty broker list', () => {
    expect(() =>
      kafkaClientConfig({ ...base, username: 'svc' }, options, new MemoryLogger()),
    ).toThrow(/username and a password/);
    expect(() => kafkaClientConfig({ ...base, brokers: [] }, options, new MemoryLogger())).toThrow(
      /broker/,
    );
  });

  it('routes kafkajs logs into our logger, errors as warnings and info as debug', () => {
    const logger = new MemoryLogger();
    const creator = kafkaClientConfig(base, options, logger).logCreator;
    const write = creator?.(logLevel.INFO);
    const entry = (level: number, message: string): LogEntry => ({
      namespace: 'Consumer',
      level,
      label: 'X',
      log: { timestamp: 'now', message, groupId: 'g', stack: 'long stack', big: { a: 1 } },
    });
    write?.(entry(logLevel.ERROR, 'Crash'));
    write?.(entry(logLevel.INFO, 'Joined'));
    expect(logger.lines.map((l) => [l.level, l.event, l.fields['message']])).toEqual([
      ['warn', 'kafkajs_log', 'Crash'],
      ['debug', 'kafkajs_log', 'Joined'],
    ]);
  });
});

describe('kafkaLogFields', () => {
  it('keeps the namespace, the message and small named scalars only', () => {
    const fields = kafkaLogFields({
      namespace: 'Producer',
      level: logLevel.ERROR,
      label: 'ERROR',
      log: {
        timestamp: '2024',
        message: 'Failed to send',
        retryCount: 2,
        topic: 't',
        stack: 'Error: ...',
        payload: Buffer.from('secret'),
        logger: 'kafkajs',
      },
    });
    expect(fields).toEqual({
      namespace: 'Producer',
      message: 'Failed to send',
      retryCount: 2,
      topic: 't',
    });
  });
});
