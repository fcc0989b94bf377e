import { describe, expect, it } from 'vitest';
import type { Profile } from '../core/index.js';
import { profileMessage, readTopicRecord } from './profile-topic.js';

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
