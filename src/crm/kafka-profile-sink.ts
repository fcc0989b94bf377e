import type { Admin, Kafka, Producer } from 'kafkajs';
import {
  LifecycleGuard,
  PathcastError,
  TransientError,
  isProgrammerError,
  silentLogger,
  toError,
  type Logger,
  type Profile,
} from '../core/index.js';
import type { KafkaConfig } from '../config/index.js';
import { createKafkaClient, profileTopicName } from './kafka-client.js';
import { lastPerUser, type ProfileSink } from './profile-source.js';
import { ensureProfileTopic, profileMessage, type ProfileTopicSpec } from './profile-topic.js';

export interface KafkaProfileSinkOptions {
  readonly kafka: KafkaConfig;
  /** Default `<topicPrefix>.crm-profiles`. */
  readonly topic?: string;
  readonly partitions?: number;
  readonly replicationFactor?: number;
  /** Records per produce request. Default 2,000. */
  readonly messagesPerRequest?: number;
}

export interface KafkaProfileSinkDeps {
  readonly logger?: Logger;
  /** A kafkajs client; by default one is built from options.kafka. */
  readonly client?: Kafka;
}

/**
 * Publishes profiles to the compacted topic (key = user id, value = profile JSON; a delete is a
 * tombstone). The producer is idempotent and waits for all in-sync replicas, so a write that
 * resolved survives a broker restart; the topic is created, compacted, when missing.
 */
export class KafkaProfileSink implements ProfileSink {
  readonly name = 'kafka';
  readonly topic: string;
  private readonly spec: ProfileTopicSpec;
  private readonly messagesPerRequest: number;
  private readonly logger: Logger;
  private readonly admin: Admin;
  private readonly producer: Producer;
  private readonly lifecycle: LifecycleGuard;

  constructor(options: KafkaProfileSinkOptions, deps: KafkaProfileSinkDeps = {}) {
    this.topic = options.topic ?? profileTopicName(options.kafka.topicPrefix);
    this.spec = {
      topic: this.topic,
      ...(options.partitions === undefined ? {} : { partitions: options.partitions }),
      ...(options.replicationFactor === undefined
        ? {}
        : { replicationFactor: options.replicationFactor }),
    };
    this.messagesPerRequest = options.messagesPerRequest ?? 2_000;
    this.logger = (deps.logger ?? silentLogger).child({
      component: 'crm_kafka_sink',
      topic: this.topic,
    });
    const client = deps.client ?? createKafkaClient(options.kafka, this.logger);
    this.admin = client.admin();
    this.producer = client.producer({ idempotent: true, maxInFlightRequests: 1 });
    this.lifecycle = new LifecycleGuard(
      'kafka profile sink',
      () => this.onStart(),
      () => this.onClose(),
    );
  }

  start(): Promise<void> {
    return this.lifecycle.start();
  }

  close(): Promise<void> {
    return this.lifecycle.close();
  }

  private async onStart(): Promise<void> {
    try {
      await this.admin.connect();
      await ensureProfileTopic(this.admin, this.spec, this.logger);
      await this.producer.connect();
    } catch (thrown) {
      throw toKafkaError(thrown, `cannot prepare topic ${this.topic}`);
    }
  }

  private async onClose(): Promise<void> {
    await Promise.all([this.producer.disconnect(), this.admin.disconnect()]);
  }

  async write(profiles: readonly Profile[]): Promise<void> {
    this.lifecycle.assertRunning();
    await this.send(lastPerUser(profiles).map(profileMessage));
  }

  async delete(userIds: readonly string[]): Promise<void> {
    this.lifecycle.assertRunning();
    await this.send(userIds.map((userId) => ({ key: userId, value: null })));
  }

  private async send(messages: Array<{ key: string; value: string | null }>): Promise<void> {
    for (let start = 0; start < messages.length; start += this.messagesPerRequest) {
      try {
        await this.producer.send({
          topic: this.topic,
          acks: -1,
          messages: messages.slice(start, start + this.messagesPerRequest),
        });
      } catch (thrown) {
        throw toKafkaError(thrown, `cannot write profiles to ${this.topic}`);
      }
    }
  }
}

/** kafkajs errors say themselves whether a retry can help; keep that, and the cause. */
export function toKafkaError(thrown: unknown, message: string): Error {
  if (isProgrammerError(thrown) || thrown instanceof PathcastError) return toError(thrown);
  const reason = `${message}: ${toError(thrown).message}`;
  const retriable = (thrown as { retriable?: unknown }).retriable;
  return retriable === false
    ? new PathcastError('crm_kafka_failed', reason, { cause: thrown })
    : new TransientError('crm_kafka_unavailable', reason, { cause: thrown });
}
