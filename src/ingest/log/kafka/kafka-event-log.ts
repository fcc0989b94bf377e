import kafkajs, { type Admin, type Kafka } from 'kafkajs';
import { LifecycleGuard, closeAll, toError, type Logger } from '../../../core/index.js';
import type { KafkaConfig } from '../../../config/index.js';
import {
  assertTopicSpecs,
  type ConsumeOptions,
  type EventLog,
  type LogConsumer,
  type ProducerRecord,
  type TopicSpec,
} from '../event-log.js';
import { errorCode, logUnavailable, unknownTopic } from '../log-errors.js';
import { produceFailures, produceSeconds, producedRecords } from '../log-metrics.js';
import { KafkaLogConsumer } from './kafka-consumer.js';
import { kafkaErrorType, toAdminError } from './kafka-errors.js';
import {
  kafkaClientConfig,
  resolveKafkaLogOptions,
  type KafkaLogOptions,
  type ResolvedKafkaLogOptions,
} from './kafka-options.js';
import { KafkaProducer } from './kafka-producer.js';

const { Kafka: KafkaClient } = kafkajs;
const produceTiming = produceSeconds.labels({ transport: 'kafka' });

export interface KafkaLogDeps {
  readonly logger: Logger;
}

/** How long ensureTopics waits for every new partition to have a leader. */
const LEADERS_TIMEOUT_MS = 30_000;

/**
 * The event log on Apache Kafka through kafkajs. start() only builds the clients: connections
 * are made on first use, so a process can start while the broker is away and answer 503s
 * (produce fails with `log_unavailable`) until it is back.
 */
export class KafkaEventLog implements EventLog {
  readonly kind = 'kafka' as const;
  private readonly config: KafkaConfig;
  private readonly options: ResolvedKafkaLogOptions;
  private readonly logger: Logger;
  private readonly guard: LifecycleGuard;
  private kafka: Kafka | undefined;
  private producer: KafkaProducer | undefined;
  private adminClient: Promise<Admin> | undefined;
  private readonly partitionCounts = new Map<string, number>();
  private readonly consumers = new Set<KafkaLogConsumer>();

  constructor(config: KafkaConfig, options: KafkaLogOptions, deps: KafkaLogDeps) {
    this.config = config;
    this.options = resolveKafkaLogOptions(options);
    this.logger = deps.logger.child({ component: 'kafka_log' });
    // Validate eagerly (brokers, SASL pair) rather than at start.
    kafkaClientConfig(config, this.options, this.logger);
    this.guard = new LifecycleGuard(
      'kafka event log',
      () => this.onStart(),
      () => this.onClose(),
    );
  }

  start(): Promise<void> {
    return this.guard.start();
  }

  close(): Promise<void> {
    return this.guard.close();
  }

  async ensureTopics(specs: readonly TopicSpec[]): Promise<void> {
    this.guard.assertRunning();
    assertTopicSpecs(specs);
    if (specs.length === 0) return;
    try {
      const admin = await this.admin();
      const created = await admin.createTopics({
        waitForLeaders: true,
        topics: specs.map((spec) => ({
          topic: spec.name,
          numPartitions: spec.partitions,
          replicationFactor: this.options.replicationFactor,
          configEntries:
            spec.compacted === true ? [{ name: 'cleanup.policy', value: 'compact' }] : [],
        })),
      });
      const counts = await this.waitForLeaders(
        admin,
        specs.map((s) => s.name),
      );
      for (const spec of specs) {
        const count = counts.get(spec.name);
        if (count !== undefined && count !== spec.partitions) {
          // Changing it would move keys between partitions, and with them visitors' state.
          this.logger.warn('log_topic_partitions_differ', {
            topic: spec.name,
            existing: count,
            wanted: spec.partitions,
          });
        }
      }
      this.logger.info('log_topics_ready', {
        topics: specs.map((s) => s.name),
        created,
      });
    } catch (error) {
      throw toAdminError(error, 'creating topics');
    }
  }

  async partitionsFor(topic: string): Promise<number> {
    this.guard.assertRunning();
    const known = this.partitionCounts.get(topic);
    if (known !== undefined) return known;
    let count: number;
    try {
      const admin = await this.admin();
      const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
      count = metadata.topics.find((t) => t.name === topic)?.partitions.length ?? 0;
    } catch (error) {
      if (kafkaErrorType(error) === 'UNKNOWN_TOPIC_OR_PARTITION') throw unknownTopic(topic);
      throw toAdminError(error, `reading the partitions of ${topic}`);
    }
    if (count === 0) throw unknownTopic(topic);
    this.partitionCounts.set(topic, count);
    return count;
  }

  async produce(topic: string, records: readonly ProducerRecord[]): Promise<void> {
    const started = performance.now();
    try {
      const producer = this.producer;
      if (producer === undefined || !this.guard.running) {
        throw logUnavailable(`the Kafka log is ${this.guard.state}`);
      }
      await producer.send(topic, records);
      producedRecords.inc({ transport: 'kafka', topic }, records.length);
    } catch (error) {
      produceFailures.inc({ transport: 'kafka', code: errorCode(error) });
      throw error;
    } finally {
      produceTiming.observe((performance.now() - started) / 1000);
    }
  }

  async consume(options: ConsumeOptions): Promise<LogConsumer> {
    this.guard.assertRunning();
    const kafka = this.client();
    const maxBatchRecords = options.maxBatchRecords ?? this.options.maxBatchRecords;
    if (!Number.isInteger(maxBatchRecords) || maxBatchRecords < 1) {
      throw new RangeError(`maxBatchRecords must be >= 1, got ${maxBatchRecords}`);
    }
    const consumer = new KafkaLogConsumer(options, maxBatchRecords, {
      kafka,
      admin: () => this.admin(),
      options: this.options,
      logger: this.logger,
      onClosed: () => this.consumers.delete(consumer),
    });
    this.consumers.add(consumer);
    await consumer.start();
    return consumer.api;
  }

  private client(): Kafka {
    if (this.kafka === undefined) throw logUnavailable('the Kafka log is not started');
    return this.kafka;
  }

  private admin(): Promise<Admin> {
    if (this.adminClient === undefined) {
      const admin = this.client().admin();
      const connecting = admin.connect().then(() => admin);
      this.adminClient = connecting;
      // A failed connect is retried on the next call rather than remembered.
      connecting.catch(() => {
        if (this.adminClient === connecting) this.adminClient = undefined;
      });
    }
    return this.adminClient;
  }

  /** Partition counts of `topics` once every partition has a leader (new topics need a moment). */
  private async waitForLeaders(
    admin: Admin,
    topics: readonly string[],
  ): Promise<Map<string, number>> {
    const deadline = Date.now() + LEADERS_TIMEOUT_MS;
    for (;;) {
      const metadata = await admin.fetchTopicMetadata({ topics: [...topics] });
      const counts = new Map<string, number>();
      let ready = true;
      for (const topic of metadata.topics) {
        counts.set(topic.name, topic.partitions.length);
        if (topic.partitions.length === 0 || topic.partitions.some((p) => p.leader < 0))
          ready = false;
      }
      if (ready && topics.every((t) => counts.has(t))) {
        for (const [topic, count] of counts) this.partitionCounts.set(topic, count);
        return counts;
      }
      if (Date.now() > deadline) {
        throw logUnavailable(
          `partitions of ${topics.join(', ')} have no leader after ${LEADERS_TIMEOUT_MS} ms`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  private onStart(): Promise<void> {
    this.kafka = new KafkaClient(kafkaClientConfig(this.config, this.options, this.logger));
    this.producer = new KafkaProducer(this.kafka, this.options, this.logger);
    this.logger.info('log_kafka_started', {
      brokers: this.config.brokers,
      clientId: this.config.clientId,
      ssl: this.config.ssl,
      sasl: this.config.username !== undefined,
    });
    return Promise.resolve();
  }

  private async onClose(): Promise<void> {
    const consumers = [...this.consumers].map((c) => c.api);
    this.consumers.clear();
    const admin = this.adminClient;
    this.adminClient = undefined;
    const producer = this.producer;
    this.producer = undefined;
    await closeAll([
      {
        close: () =>
          admin === undefined ? Promise.resolve() : disconnectAdmin(admin, this.logger),
      },
      { close: () => producer?.close() ?? Promise.resolve() },
      // Closed first (closeAll goes in reverse): consumers flush and commit before the rest goes.
      ...consumers,
    ]);
  }
}

async function disconnectAdmin(admin: Promise<Admin>, logger: Logger): Promise<void> {
  let client: Admin;
  try {
    client = await admin;
  } catch (error) {
    // It never connected; nothing to close.
    logger.debug('log_admin_never_connected', { err: toError(error) });
    return;
  }
  await client.disconnect();
}
