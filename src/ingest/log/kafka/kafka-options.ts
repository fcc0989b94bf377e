import type { KafkaConfig as KafkaJsConfig, SASLOptions } from 'kafkajs';
import type { Logger } from '../../../core/index.js';
import type { KafkaConfig } from '../../../config/index.js';
import { createLogCreator } from './kafka-logger.js';

/** Tuning of the Kafka transport; every field optional, defaults in KAFKA_LOG_DEFAULTS. */
export interface KafkaLogOptions {
  /**
   * The most a produce() call may take before it fails with `log_unavailable`: the collector
   * answers 503 within this. Default 5,000 ms.
   */
  readonly produceTimeoutMs?: number;
  /** TCP connect timeout per broker. Default 2,000 ms. */
  readonly connectionTimeoutMs?: number;
  /** Per-request timeout. Default 10,000 ms. */
  readonly requestTimeoutMs?: number;
  /** Consumer session timeout: a member silent this long is dropped. Default 30,000 ms. */
  readonly sessionTimeoutMs?: number;
  /** How long the group waits for members to rejoin (and flush in onRevoked). Default 60,000 ms. */
  readonly rebalanceTimeoutMs?: number;
  /** Default 3,000 ms (a third of the session timeout or less). */
  readonly heartbeatIntervalMs?: number;
  /** Longest a fetch waits for data; bounds idle latency and close time. Default 500 ms. */
  readonly maxWaitTimeMs?: number;
  /** Default for ConsumeOptions.maxBatchRecords. Default 500. */
  readonly maxBatchRecords?: number;
  /** Partitions whose batches a consumer processes at once. Default 1. */
  readonly partitionsConsumedConcurrently?: number;
  /** Replication factor of created topics; -1 = the broker's default. Default -1. */
  readonly replicationFactor?: number;
  /** Most records coalesced into one produce request. Default 10,000. */
  readonly maxRecordsPerRequest?: number;
  /**
   * Approximate bytes coalesced into one produce request. Default 900 KiB: under the broker's
   * default max.message.bytes (1 MiB per partition's record batch) however the keys spread, so
   * merging callers never turns acceptable writes into a refused one. A single call bigger than
   * that still goes alone.
   */
  readonly maxBytesPerRequest?: number;
}

export type ResolvedKafkaLogOptions = Required<KafkaLogOptions>;

export const KAFKA_LOG_DEFAULTS: ResolvedKafkaLogOptions = {
  produceTimeoutMs: 5_000,
  connectionTimeoutMs: 2_000,
  requestTimeoutMs: 10_000,
  sessionTimeoutMs: 30_000,
  rebalanceTimeoutMs: 60_000,
  heartbeatIntervalMs: 3_000,
  maxWaitTimeMs: 500,
  maxBatchRecords: 500,
  partitionsConsumedConcurrently: 1,
  replicationFactor: -1,
  maxRecordsPerRequest: 10_000,
  maxBytesPerRequest: 900 * 1024,
};

/** Resolves options once; throws RangeError naming a bad field. */
export function resolveKafkaLogOptions(options: KafkaLogOptions = {}): ResolvedKafkaLogOptions {
  const resolved = { ...KAFKA_LOG_DEFAULTS };
  for (const key of Object.keys(KAFKA_LOG_DEFAULTS) as Array<keyof ResolvedKafkaLogOptions>) {
    const value = options[key];
    if (value === undefined) continue;
    const valid =
      key === 'replicationFactor'
        ? Number.isInteger(value) && (value === -1 || value >= 1)
        : Number.isSafeInteger(value) && value >= 1;
    if (!valid) throw new RangeError(`kafka option ${key} is invalid: ${value}`);
    resolved[key] = value;
  }
  if (resolved.heartbeatIntervalMs >= resolved.sessionTimeoutMs) {
    throw new RangeError('kafka option heartbeatIntervalMs must be below sessionTimeoutMs');
  }
  return resolved;
}

/**
 * The kafkajs client configuration: brokers, TLS, SASL/PLAIN when a username and password are
 * set, bounded timeouts, and kafkajs's logging routed into our Logger.
 *
 * The client-level retry is short (about 2 s in all) so a produce against a broker that is down
 * fails inside `produceTimeoutMs`; the consumer's runner reuses it between restarts.
 */
export function kafkaClientConfig(
  config: KafkaConfig,
  options: ResolvedKafkaLogOptions,
  logger: Logger,
): KafkaJsConfig {
  if (config.brokers.length === 0) {
    throw new RangeError('the Kafka transport needs at least one broker');
  }
  if ((config.username === undefined) !== (config.password === undefined)) {
    throw new RangeError('SASL needs both a username and a password');
  }
  const sasl: SASLOptions | undefined =
    config.username !== undefined && config.password !== undefined
      ? { mechanism: 'plain', username: config.username, password: config.password }
      : undefined;
  return {
    clientId: config.clientId,
    brokers: [...config.brokers],
    ssl: config.ssl,
    ...(sasl === undefined ? {} : { sasl }),
    connectionTimeout: options.connectionTimeoutMs,
    requestTimeout: options.requestTimeoutMs,
    retry: { initialRetryTime: 100, maxRetryTime: 1_000, retries: 5 },
    logCreator: createLogCreator(logger),
  };
}
