import { describe, expect, it } from 'vitest';
import { MemoryLogger, type Profile } from '../core/index.js';
import { profileMessage, readTopicRecord, topicOffsets } from './profile-topic.js';

const PROFILE: Profile = {
  userId: 'u1',
  emailHash: 'a'.repeat(64),
  segment: 'vip',
  lifetimeValue: 12.5,
  orders: 3,
  firstOrderAt: 1_700_000_000_000,
  lastOrderAt: null,
  tenureDays: 40,
  churned: true,
  attributes: { plan: 'pro', note: '"; DROP --' },
  updatedAt: 1_700_000_000_123,
};

const record = (key: string | null, value: string | null, timestamp = '1700000000999') => ({
  key: key === null ? null : Buffer.from(key),
  value: value === null ? null : Buffer.from(value),
  timestamp,
});

describe('profile topic records', () => {
  it('round-trips a profile through its message', () => {
    const { key, value } = profileMessage(PROFILE);
    expect(readTopicRecord(record(key, value))).toEqual({ kind: 'upsert', profile: PROFILE });
  });

  it('reads a tombstone as a delete', () => {
    expect(readTopicRecord(record('u1', null))).toEqual({ kind: 'delete', userId: 'u1' });
  });

  it('takes the record time when the value has no updatedAt', () => {
    const result = readTopicRecord(record('u2', '{"userId":"u2"}'));
    expect(result).toMatchObject({
      kind: 'upsert',
      profile: { userId: 'u2', updatedAt: 1_700_000_000_999 },
    });
  });

  it.each([
    [null, '{"userId":"u1"}', /no key/],
    ['', '{"userId":"u1"}', /no key/],
    ['u1', 'not json', /not JSON/],
    ['u1', '[1]', /not a JSON object/],
    ['u1', '{"userId":"u2"}', /another user id than the key/],
    ['u1', '{"userId":"u1","orders":-1}', /orders: expected a whole number/],
    ['u1', '{"userId":"u1","user_id":"u1"}', /user_id: names the same field/],
  ])('refuses key %j value %j', (key, value, reason) => {
    const result = readTopicRecord(record(key, value));
    expect(result.kind).toBe('invalid');
    if (result.kind === 'invalid') expect(result.reason).toMatch(reason);
  });
});

describe('topicOffsets', () => {
  const OFFSETS = [
    { partition: 0, offset: '12', high: '12', low: '0' },
    { partition: 1, offset: '0', high: '0', low: '0' },
  ];
  /** kafkajs's error for a partition whose leader the broker asked does not know yet. */
  const notLeader = () =>
    Object.assign(new Error('This server is not the leader for that topic-partition'), {
      retriable: true,
    });
  /** An admin whose first reads fail with `failures` (in order), then answer OFFSETS. */
  function admin(failures: Error[]) {
    const calls: string[] = [];
    return {
      calls,
      fetchTopicOffsets(topic: string) {
        calls.push(topic);
        const failure = failures.shift();
        return failure === undefined ? Promise.resolve(OFFSETS) : Promise.reject(failure);
      },
    };
  }
  const noWait = { sleep: () => Promise.resolve(), random: () => 0.5 };

  it('reads again while the new topic has no leader, and logs each retry', async () => {
    const logger = new MemoryLogger();
    const reader = admin([notLeader(), notLeader()]);
    await expect(topicOffsets(reader, 'crm', logger, noWait)).resolves.toEqual(OFFSETS);
    expect(reader.calls).toEqual(['crm', 'crm', 'crm']);
    expect(logger.lines.map((l) => [l.event, l.fields['topic'], l.fields['attempt']])).toEqual([
      ['crm_topic_offsets_retry', 'crm', 1],
      ['crm_topic_offsets_retry', 'crm', 2],
    ]);
  });

  it('gives up at once on an error Kafka does not call retriable', async () => {
    const denied = Object.assign(new Error('Not authorized to access topics'), {
      retriable: false,
    });
    const reader = admin([denied]);
    await expect(topicOffsets(reader, 'crm', new MemoryLogger(), noWait)).rejects.toBe(denied);
    expect(reader.calls).toHaveLength(1);
  });

  it('throws the last error once the retries run out', async () => {
    const failures = Array.from({ length: 4 }, notLeader);
    const last = failures[3];
    const reader = admin(failures);
    const options = { ...noWait, retries: 3 };
    await expect(topicOffsets(reader, 'crm', new MemoryLogger(), options)).rejects.toBe(last);
    expect(reader.calls).toHaveLength(4);
  });
});
