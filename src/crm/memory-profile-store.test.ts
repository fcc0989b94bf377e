import { describe, expect, it } from 'vitest';
import type { Profile } from '../core/index.js';
import { defaultProfileSourceKind } from './create-profile-source.js';
import { MemoryProfileStore } from './memory-profile-store.js';
import { lastPerUser, type ProfileChange } from './profile-source.js';

const profile = (userId: string, segment: string): Profile => ({
  userId,
  emailHash: '',
  segment,
  lifetimeValue: 0,
  orders: 0,
  firstOrderAt: null,
  lastOrderAt: null,
  tenureDays: 0,
  churned: false,
  attributes: {},
  updatedAt: 0,
});

describe('MemoryProfileStore', () => {
  it('answers batches with the users it knows and announces changes', async () => {
    const store = new MemoryProfileStore();
    const changes: ProfileChange[] = [];
    const off = store.subscribe((change) => changes.push(change));
    await store.write([profile('a', '1'), profile('b', '1')]);
    await store.delete(['a', 'unknown']);
    const found = await store.getMany(['a', 'b', 'c']);
    expect([...found.keys()]).toEqual(['b']);
    expect(changes.map((c) => [c.userId, c.profile?.segment ?? null])).toEqual([
      ['a', '1'],
      ['b', '1'],
      ['a', null],
    ]);
    off();
    await store.write([profile('c', '1')]);
    expect(changes).toHaveLength(3);
  });
});

describe('lastPerUser', () => {
  it('keeps the last profile of each user in first-seen order', () => {
    const rows = [profile('a', '1'), profile('b', '1'), profile('a', '2')];
    expect(lastPerUser(rows).map((p) => `${p.userId}${p.segment}`)).toEqual(['a2', 'b1']);
  });
});

describe('defaultProfileSourceKind', () => {
  it.each([
    [{ postgres: { url: 'postgres://x/y' }, kafka: { brokers: ['k:9092'] } }, 'postgres'],
    [{ postgres: { url: undefined }, kafka: { brokers: ['k:9092'] } }, 'kafka'],
    [{ postgres: { url: undefined }, kafka: { brokers: [] } }, 'memory'],
  ])('%j -> %s', (config, kind) => {
    expect(defaultProfileSourceKind(config)).toBe(kind);
  });
});
