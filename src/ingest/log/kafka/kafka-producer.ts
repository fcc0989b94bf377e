import kafkajs, { type Kafka, type Message, type Producer, type TopicMessages } from 'kafkajs';
import { toError, type Logger } from '../../../core/index.js';
import type { ProducerRecord } from '../event-log.js';
import { logUnavailable } from '../log-errors.js';
import { isProducerOutOfStep, toProduceError } from './kafka-errors.js';
import type { ResolvedKafkaLogOptions } from './kafka-options.js';
import { toKafkaMessage } from './kafka-records.js';

const { Partitioners } = kafkajs;

/** One produce() call waiting for its acknowledgement. */
interface Pending {
  readonly topic: string;
  readonly messages: Message[];
  readonly bytes: number;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
  timer: NodeJS.Timeout | undefined;
  settled: boolean;
}

/**
 * The idempotent producer behind KafkaEventLog.produce.
 *
 * - Idempotent (`idempotent: true`, acks = all, `maxInFlightRequests: 1` as KIP-98 asks): a
 *   retried request is not written twice, and per-partition order survives retries.
 * - Java-compatible partitioner: keys land where `partitionForKey` (and the memory log) says.
 * - Coalescing: kafkajs serialises an idempotent producer's requests per broker, so one
 *   request is in flight at a time; calls made meanwhile are sent together in the next
 *   request (bounded in records and bytes), as the Java client's linger does. Order between
 *   calls is kept: the queue is FIFO.
 * - Bounded: every call settles within `produceTimeoutMs`. A call still queued at its deadline
 *   is dropped before it is ever sent; one in flight may still be written after its caller got
 *   `log_unavailable` — at-least-once, and the events' ids make the resend harmless.
 *
 * NOTE: bounded retries (instead of kafkajs's endless ones for idempotent producers) make
 * kafkajs warn once that exactly-once may suffer: after a request that timed out but was
 * written, the broker can refuse the next sequence number. That case is caught below and the
 * producer replaced (a new producer id), which is what the Java client does too.
 */
export class KafkaProducer {
  private readonly kafka: Kafka;
  private readonly options: ResolvedKafkaLogOptions;
  private readonly logger: Logger;
  private producer: Producer;
  private connecting: Promise<void> | undefined;
  private queue: Pending[] = [];
  private sending: Promise<void> | undefined;
  private closed = false;

  constructor(kafka: Kafka, options: ResolvedKafkaLogOptions, logger: Logger) {
    this.kafka = kafka;
    this.options = options;
    this.logger = logger;
    this.producer = this.create();
  }

  /** Resolves once the broker acknowledged every record (acks = all). */
  send(topic: string, records: readonly ProducerRecord[]): Promise<void> {
    if (this.closed) return Promise.reject(logUnavailable('the Kafka producer is closed'));
    if (records.length === 0) return Promise.resolve();
    const messages = records.map(toKafkaMessage);
    let bytes = 0;
    for (const record of records) bytes += record.key.length + record.value.length + 64;
    return new Promise<void>((resolve, reject) => {
      const pending: Pending = {
        topic,
        messages,
        bytes,
        resolve,
        reject,
        timer: undefined,
        settled: false,
      };
      pending.timer = setTimeout(() => this.expire(pending), this.options.produceTimeoutMs);
      this.queue.push(pending);
      this.pump();
    });
  }

  /** Rejects what is queued, waits for the request in flight, disconnects. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    const queued = this.queue;
    this.queue = [];
    for (const pending of queued) this.settle(pending, logUnavailable('the Kafka producer closed'));
    await this.sending;
    await this.producer.disconnect();
  }

  private create(): Producer {
    const producer = this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
      retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 1_000 },
    });
    producer.on(producer.events.DISCONNECT, () => {
      if (this.producer === producer) this.connecting = undefined;
    });
    return producer;
  }

  private connect(): Promise<void> {
    if (this.connecting === undefined) {
      const attempt = this.producer.connect();
      this.connecting = attempt;
      attempt.catch(() => {
        // The caller sees the failure through the send; the next send tries again.
        if (this.connecting === attempt) this.connecting = undefined;
      });
    }
    return this.connecting;
  }

  private expire(pending: Pending): void {
    if (pending.settled) return;
    const index = this.queue.indexOf(pending);
    if (index >= 0) this.queue.splice(index, 1);
    this.settle(
      pending,
      logUnavailable(
        `kafka did not acknowledge ${pending.messages.length} records for ${pending.topic} ` +
          `within ${this.options.produceTimeoutMs} ms`,
      ),
    );
  }

  private settle(pending: Pending, error: Error | undefined): void {
    if (pending.settled) return;
    pending.settled = true;
    clearTimeout(pending.timer);
    if (error === undefined) pending.resolve();
    else pending.reject(error);
  }

  private pump(): void {
    if (this.sending !== undefined || this.queue.length === 0) return;
    const batch = this.take();
    this.sending = this.sendBatch(batch).finally(() => {
      this.sending = undefined;
      if (!this.closed) this.pump();
    });
  }

  /** The oldest calls, up to the request bounds (always at least one). */
  private take(): Pending[] {
    const batch: Pending[] = [];
    let records = 0;
    let bytes = 0;
    while (this.queue.length > 0) {
      const next = this.queue[0]!;
      const fits =
        records + next.messages.length <= this.options.maxRecordsPerRequest &&
        bytes + next.bytes <= this.options.maxBytesPerRequest;
      if (batch.length > 0 && !fits) break;
      this.queue.shift();
      batch.push(next);
      records += next.messages.length;
      bytes += next.bytes;
    }
    return batch;
  }

  private async sendBatch(batch: readonly Pending[]): Promise<void> {
    const topicMessages: TopicMessages[] = [];
    for (const pending of batch) {
      const last = topicMessages[topicMessages.length - 1];
      if (last !== undefined && last.topic === pending.topic)
        last.messages.push(...pending.messages);
      else topicMessages.push({ topic: pending.topic, messages: [...pending.messages] });
    }
    try {
      await this.connect();
      await this.producer.sendBatch({
        acks: -1,
        timeout: this.options.produceTimeoutMs,
        topicMessages,
      });
      for (const pending of batch) this.settle(pending, undefined);
    } catch (error) {
      this.logger.warn('log_produce_failed', {
        records: batch.reduce((n, p) => n + p.messages.length, 0),
        err: toError(error),
      });
      if (isProducerOutOfStep(error)) await this.replace();
      for (const pending of batch) this.settle(pending, toProduceError(error, pending.topic));
    }
  }

  /** A fresh producer (new producer id, sequences from zero) after the old one fell out of step. */
  private async replace(): Promise<void> {
    const old = this.producer;
    this.producer = this.create();
    this.connecting = undefined;
    this.logger.warn('log_producer_replaced', {});
    try {
      await old.disconnect();
    } catch (error) {
      this.logger.warn('log_producer_disconnect_failed', { err: toError(error) });
    }
  }
}
