import kafkajs, { type Admin, type KafkaMessage } from 'kafkajs';
import {
  PathcastError,
  retry,
  type Logger,
  type Profile,
  type RetryOptions,
} from '../core/index.js';
import { buildProfile, inputFromObject } from './profile-record.js';

const { ConfigResourceTypes } = kafkajs;

export interface ProfileTopicSpec {
  readonly topic: string;
  /** Partitions when the topic is created. Default 4: the topic is read whole by every process. */
  readonly partitions?: number;
  /** Replication factor when created; -1 = the broker's default. Default -1. */
  readonly replicationFactor?: number;
}

/**
 * Creates the compacted profile topic if it is missing, and refuses one that exists without
 * compaction: under the default `delete` policy Kafka would drop profiles after its retention
 * time, and the table the topic stands for would quietly lose users.
 */
export async function ensureProfileTopic(
  admin: Admin,
  spec: ProfileTopicSpec,
  logger: Logger,
): Promise<void> {
  const created = await admin.createTopics({
    waitForLeaders: true,
    topics: [
      {
        topic: spec.topic,
        numPartitions: spec.partitions ?? 4,
        replicationFactor: spec.replicationFactor ?? -1,
        configEntries: [{ name: 'cleanup.policy', value: 'compact' }],
      },
    ],
  });
  if (created) {
    logger.info('crm_topic_created', { topic: spec.topic });
    return;
  }
  const described = await admin.describeConfigs({
    includeSynonyms: false,
    resources: [
      { type: ConfigResourceTypes.TOPIC, name: spec.topic, configNames: ['cleanup.policy'] },
    ],
  });
  const policy = described.resources[0]?.configEntries.find(
    (entry) => entry.configName === 'cleanup.policy',
  )?.configValue;
  if (policy === undefined || !policy.split(',').includes('compact')) {
    throw new PathcastError(
      'crm_topic_not_compacted',
      `topic ${spec.topic} has cleanup.policy=${policy ?? 'unknown'}; the CRM profile topic must be ` +
        'compacted (cleanup.policy=compact), or Kafka deletes profiles after its retention time',
      { details: { topic: spec.topic, policy } },
    );
  }
}

/**
 * The first and next offset of every partition of the topic. What Kafka calls retriable is
 * tried again with backoff: a topic another process has just created is briefly unknown to the
 * broker asked, or its partitions have no leader there yet ("This server is not the leader for
 * that topic-partition"), and a processor starting beside others must not fail on that.
 */
export function topicOffsets(
  admin: Pick<Admin, 'fetchTopicOffsets'>,
  topic: string,
  logger: Logger,
  options: RetryOptions = {},
): ReturnType<Admin['fetchTopicOffsets']> {
  return retry(() => admin.fetchTopicOffsets(topic), {
    retries: 8,
    initialMs: 100,
    maxMs: 2_000,
    onRetry: (error, attempt, delayMs) =>
      logger.warn('crm_topic_offsets_retry', { topic, attempt, delayMs, err: error }),
    ...options,
  });
}

/** A profile as a record: key = user id, value = the profile as JSON. */
export function profileMessage(profile: Profile): { key: string; value: string } {
  return { key: profile.userId, value: JSON.stringify(profile) };
}

export type TopicRecord =
  | { readonly kind: 'upsert'; readonly profile: Profile }
  | { readonly kind: 'delete'; readonly userId: string }
  | { readonly kind: 'invalid'; readonly reason: string };

/**
 * Reads one record of the topic: a tombstone (null value) deletes the user; a value is validated
 * like an NDJSON import row (the Profile JSON is one), so a foreign producer's bad record is
 * reported and skipped, never cached. Pure.
 */
export function readTopicRecord(
  message: Pick<KafkaMessage, 'key' | 'value' | 'timestamp'>,
): TopicRecord {
  const key = message.key?.toString('utf8') ?? '';
  if (key === '')
    return { kind: 'invalid', reason: 'record has no key (the key must be the user id)' };
  if (message.value === null) return { kind: 'delete', userId: key };
  let parsed: unknown;
  try {
    parsed = JSON.parse(message.value.toString('utf8'));
  } catch (thrown) {
    return { kind: 'invalid', reason: `value is not JSON: ${(thrown as Error).message}` };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return { kind: 'invalid', reason: 'value is not a JSON object' };
  }
  const input = inputFromObject(parsed as Readonly<Record<string, unknown>>);
  if (!input.ok) return { kind: 'invalid', reason: `${input.issue.field}: ${input.issue.reason}` };
  const built = buildProfile(input.input, Number(message.timestamp));
  if (!built.ok) {
    return { kind: 'invalid', reason: `${built.issue.field ?? 'value'}: ${built.issue.reason}` };
  }
  if (built.profile.userId !== key) {
    return { kind: 'invalid', reason: 'the value names another user id than the key' };
  }
  return { kind: 'upsert', profile: built.profile };
}
