import { randomUUID } from 'node:crypto';
import type { Admin, Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import {
  LifecycleGuard,
  TransientError,
  silentLogger,
  type Logger,
  type Profile,
} from '../core/index.js';
import type { KafkaConfig } from '../config/index.js';
import { topicRecords } from './crm-metrics.js';
import { createKafkaClient, profileTopicName } from './kafka-client.js';
import { toKafkaError } from './kafka-profile-sink.js';
import { MemoryProfileStore } from './memory-profile-store.js';
import type { ProfileChangeListener, ProfileSource } from './profile-source.js';
import {
  ensureProfileTopic,
  readTopicRecord,
  topicOffsets,
  type ProfileTopicSpec,
} from './profile-topic.js';

export interface KafkaProfileSourceOptions {
  readonly kafka: KafkaConfig;
  /** Default `<topicPrefix>.crm-profiles`. */
  readonly topic?: string;
  /** Partitions if the topic has to be created. */
  readonly partitions?: number;
  /** start() fails if the topic is not read up to its end within this. Default 120,000 ms. */
  readonly loadTimeoutMs?: number;
  /** Longest a fetch waits for new records: bounds how late a live update is. Default 250 ms. */
  readonly maxWaitTimeMs?: number;
}

export interface KafkaProfileSourceDeps {
  readonly logger?: Logger;
  readonly client?: Kafka;
}

/** Invalid records are logged one by one up to this many, then only counted. */
const MAX_LOGGED_INVALID = 20;

/**
 * The compacted profile topic as a table in memory: start() reads the topic from the beginning
 * up to the end it had when start() was called, then keeps applying records as they come
 * (a tombstone deletes). Changes are announced through subscribe(), so the cache updates or
 * drops entries live instead of waiting for their ttl.
 *
 * NOTE: every process reads the whole topic, so it joins a consumer group of its own (a fresh
 * id per process, offsets never committed): the group is only kafkajs's way to fetch, not a
 * way to share partitions. The broker drops such a group once it is empty, as it holds no
 * offsets.
 */
export class KafkaProfileSource implements ProfileSource {
  readonly name = 'kafka';
  readonly topic: string;
  private readonly spec: ProfileTopicSpec;
  private readonly loadTimeoutMs: number;
  private readonly logger: Logger;
  private readonly admin: Admin;
  private readonly consumer: Consumer;
  private readonly table = new MemoryProfileStore('kafka');
  private readonly lifecycle: LifecycleGuard;

  /** Per partition, the offset start() must reach; deleted once reached. */
  private readonly toReach = new Map<number, number>();
  private loaded: (() => void) | undefined;
  private invalidRecords = 0;
  private appliedRecords = 0;

  constructor(options: KafkaProfileSourceOptions, deps: KafkaProfileSourceDeps = {}) {
    this.topic = options.topic ?? profileTopicName(options.kafka.topicPrefix);
    this.spec = {
      topic: this.topic,
      ...(options.partitions === undefined ? {} : { partitions: options.partitions }),
    };
    this.loadTimeoutMs = options.loadTimeoutMs ?? 120_000;
    this.logger = (deps.logger ?? silentLogger).child({
      component: 'crm_kafka_source',
      topic: this.topic,
    });
    const client = deps.client ?? createKafkaClient(options.kafka, this.logger);
    this.admin = client.admin();
    this.consumer = client.consumer({
      groupId: `${options.kafka.clientId}-crm-reader-${randomUUID()}`,
      maxWaitTimeInMs: options.maxWaitTimeMs ?? 250,
      // Nothing is committed, so a restart also reads from the beginning: the topic is the table.
      allowAutoTopicCreation: false,
    });
    this.consumer.on(this.consumer.events.CRASH, (event) => {
      this.logger.error('crm_topic_reader_crashed', {
        err: event.payload.error,
        restart: event.payload.restart,
      });
    });
    this.lifecycle = new LifecycleGuard(
      'kafka profile source',
      () => this.onStart(),
      () => this.onClose(),
    );
  }

  /** Profiles held now. */
  get size(): number {
    return this.table.size;
  }

  start(): Promise<void> {
    return this.lifecycle.start();
  }

  close(): Promise<void> {
    return this.lifecycle.close();
  }

  async getMany(userIds: readonly string[]): Promise<Map<string, Profile>> {
    this.lifecycle.assertRunning();
    return this.table.getMany(userIds);
  }

  subscribe(listener: ProfileChangeListener): () => void {
    return this.table.subscribe(listener);
  }

  private async onStart(): Promise<void> {
    const started = Date.now();
    try {
      await this.admin.connect();
      await ensureProfileTopic(this.admin, this.spec, this.logger);
      // The end of every partition now: once read up to there, the table is as complete as the
      // topic was when we started; what follows are live updates.
      for (const { partition, high, low } of await topicOffsets(
        this.admin,
        this.topic,
        this.logger,
      )) {
        if (Number(high) > Number(low)) this.toReach.set(partition, Number(high));
      }
      await this.admin.disconnect();
      const loaded = new Promise<void>((resolve) => {
        this.loaded = resolve;
      });
      if (this.toReach.size === 0) this.loaded?.();
      await this.consumer.connect();
      await this.consumer.subscribe({ topic: this.topic, fromBeginning: true });
      await this.consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: true,
        eachBatch: async (payload) => this.onBatch(payload),
      });
      await withTimeout(loaded, this.loadTimeoutMs, () => this.loadTimeout());
    } catch (thrown) {
      throw toKafkaError(thrown, `cannot load the CRM profile topic ${this.topic}`);
    }
    this.logger.info('crm_topic_loaded', {
      profiles: this.table.size,
      records: this.appliedRecords,
      invalid: this.invalidRecords,
      elapsedMs: Date.now() - started,
    });
  }

  private async onClose(): Promise<void> {
    await this.consumer.disconnect();
    await this.table.close();
    // Only connected while starting; disconnecting twice is harmless in kafkajs.
    await this.admin.disconnect();
  }

  private async onBatch({ batch, heartbeat }: EachBatchPayload): Promise<void> {
    for (const message of batch.messages) {
      const record = readTopicRecord(message);
      topicRecords.inc({ result: record.kind });
      if (record.kind === 'upsert') {
        this.appliedRecords += 1;
        this.table.apply({ userId: record.profile.userId, profile: record.profile });
      } else if (record.kind === 'delete') {
        this.appliedRecords += 1;
        this.table.apply({ userId: record.userId, profile: null });
      } else {
        this.invalidRecords += 1;
        if (this.invalidRecords <= MAX_LOGGED_INVALID) {
          this.logger.warn('crm_topic_record_invalid', {
            partition: batch.partition,
            offset: message.offset,
            reason: record.reason,
            ...(this.invalidRecords === MAX_LOGGED_INVALID
              ? { note: 'further ones only counted' }
              : {}),
          });
        }
      }
    }
    const target = this.toReach.get(batch.partition);
    if (target !== undefined && Number(batch.lastOffset()) + 1 >= target) {
      this.toReach.delete(batch.partition);
      if (this.toReach.size === 0) this.loaded?.();
    }
    await heartbeat();
  }

  private loadTimeout(): Error {
    const behind = [...this.toReach].map(([partition, offset]) => `${partition}@${offset}`);
    return new TransientError(
      'crm_topic_load_timeout',
      `the CRM profile topic ${this.topic} was not read to its end within ${this.loadTimeoutMs} ms ` +
        `(${this.table.size} profiles so far; partitions still behind: ${behind.join(', ')})`,
    );
  }
}

async function withTimeout(promise: Promise<void>, ms: number, error: () => Error): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(error()), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
