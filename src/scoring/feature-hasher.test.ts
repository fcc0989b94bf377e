import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, type Profile } from '../core/index.js';
import { bucketOf, DEPTH_EDGES, MARKOV_EDGES, VALUE_EDGES } from './feature-buckets.js';
import {
  FeatureVector,
  MAX_FEATURES,
  createFeatureHasher,
  type FeatureHasher,
} from './feature-hasher.js';
import { SessionBuilder } from './testing/session-builder.js';

let hasher: FeatureHasher;
beforeAll(async () => {
  hasher = await createFeatureHasher({ bits: 20 });
});

const PROFILE: Profile = {
  userId: 'u1',
  emailHash: '',
  segment: 'vip',
  lifetimeValue: 740,
  orders: 3,
  firstOrderAt: null,
  lastOrderAt: null,
  tenureDays: 100,
  churned: false,
  attributes: {},
  updatedAt: 0,
};

function sampleUpdate() {
  const at = Date.UTC(2024, 0, 1, 13, 0); // Monday 13:00 UTC
  const builder = new SessionBuilder({ id: 's1', channel: 'Paid Search', campaign: 'spring' });
  builder.event({ at, page: '/home' });
  builder.event({ at: at + 20_000, page: '/product/:id' });
  builder.event({ at: at + 40_000, page: '/home' });
  return builder.event({ at: at + 70_000, page: '/cart' });
}

function indices(vector: FeatureVector): number[] {
  return Array.from(vector.indices.subarray(0, vector.count));
}

describe('FeatureHasher', () => {
  it('writes bias, each page type seen once, and one feature per other field', () => {
    const vector = new FeatureVector();
    const count = hasher.extract(
      sampleUpdate(),
      { profile: PROFILE, markovProbability: 0.12 },
      vector,
    );
    // bias + 3 distinct pages seen + 19 single-valued features
    expect(count).toBe(1 + 3 + 19);
    const got = indices(vector);
    expect(got[0]).toBe(hasher.bias);
    for (const page of ['/home', '/product/:id', '/cart']) {
      expect(got.filter((i) => i === hasher.index('seen', page))).toHaveLength(1);
    }
    expect(got).toContain(hasher.index('page', '/cart'));
    expect(got).toContain(hasher.index('channel', 'Paid Search'));
    expect(got).toContain(hasher.index('campaign', 'spring'));
    expect(got).toContain(hasher.index('segment', 'vip'));
    expect(got).toContain(hasher.bucketIndex('hour', 13));
    expect(got).toContain(hasher.bucketIndex('weekday', 1));
    expect(got).toContain(hasher.bucketIndex('depth', bucketOf(4, DEPTH_EDGES)));
    expect(got).toContain(hasher.bucketIndex('value', bucketOf(740, VALUE_EDGES)));
    expect(got).toContain(hasher.bucketIndex('markov', bucketOf(0.12, MARKOV_EDGES)));
  });

  it('is deterministic across hashers and reuses the vector without leftovers', async () => {
    const other = await createFeatureHasher({ bits: 20, hashCacheSize: 2 });
    const a = new FeatureVector();
    const b = new FeatureVector();
    hasher.extract(sampleUpdate(), { markovProbability: 0.3 }, a);
    other.extract(sampleUpdate(), { markovProbability: 0.3 }, b);
    expect(indices(a)).toEqual(indices(b));
    // A second extraction into the same vector replaces the first.
    const short = new SessionBuilder({ id: 's2' }).event({ at: 0, page: '/home' });
    hasher.extract(short, { markovProbability: Number.NaN }, a);
    expect(a.count).toBe(1 + 1 + 19);
    expect(indices(a)).toContain(hasher.bucketIndex('markov', MARKOV_EDGES.length + 1));
    expect(indices(a)).toContain(hasher.index('segment', '(no profile)'));
  });

  it('gives churned customers their own segment, and crosses segment and event with the page', () => {
    const at = Date.UTC(2024, 0, 1, 13, 0);
    const extract = (page: string, profile: Profile | undefined, track?: string): number[] => {
      const builder = new SessionBuilder({ id: 's3' });
      let update = builder.event({ at, page });
      if (track !== undefined) update = builder.event({ at: at + 1000, track });
      const vector = new FeatureVector();
      hasher.extract(update, { profile, markovProbability: 0.1 }, vector);
      return indices(vector);
    };
    const active = extract('/cart', PROFILE);
    const churned = extract('/cart', { ...PROFILE, churned: true });
    expect(active).toContain(hasher.index('segment', 'vip'));
    expect(churned).toContain(hasher.index('segment', 'vip/churned'));
    expect(churned).not.toContain(hasher.index('segment', 'vip'));
    // The segment x page cross differs by page for one segment, and by segment on one page.
    const onHome = extract('/home', PROFILE);
    const diff = (a: number[], b: number[]): number[] => a.filter((i) => !b.includes(i));
    expect(diff(active, onHome)).toHaveLength(5); // page, seen, channel x page, event x page, segment x page
    expect(diff(active, churned)).toHaveLength(2); // segment, segment x page
    // The event x page cross tells a track call on the cart from the same call elsewhere.
    const trackCart = extract('/cart', PROFILE, 'Checkout Started');
    const trackHome = extract('/home', PROFILE, 'Checkout Started');
    expect(trackCart).toContain(hasher.index('event', 'Checkout Started'));
    expect(diff(trackCart, trackHome)).toHaveLength(5);
  });

  it('separates fields by seed: one string lands apart in each field', () => {
    const fields = [
      'seen',
      'page',
      'event',
      'channel',
      'campaign',
      'device',
      'country',
      'site',
      'segment',
    ] as const;
    for (const value of ['Direct', '/home', 'x', '']) {
      const spread = new Set(fields.map((field) => hasher.index(field, value)));
      expect(spread.size).toBe(fields.length);
    }
    // Across many values, the same value in two fields almost never collides at 2^20.
    let collisions = 0;
    for (let i = 0; i < 5000; i++) {
      if (hasher.index('channel', `v${i}`) === hasher.index('campaign', `v${i}`)) collisions++;
    }
    expect(collisions).toBeLessThan(3);
  });

  it('masks into 2^bits buckets and shares caches across sizes', () => {
    const small = hasher.withBits(8);
    expect(small.size).toBe(256);
    expect(small.index('page', '/cart')).toBe(hasher.index('page', '/cart') & 255);
    const vector = new FeatureVector();
    small.extract(sampleUpdate(), { markovProbability: 0.1 }, vector);
    expect(indices(vector).every((i) => i < 256)).toBe(true);
    expect(hasher.withBits(20)).toBe(hasher);
  });

  it('stays within MAX_FEATURES on the longest path', () => {
    const builder = new SessionBuilder({ id: 'long' });
    let update = builder.event({ at: 0, page: '/p0' });
    for (let i = 1; i < 200; i++) update = builder.event({ at: i * 1000, page: `/p${i}` });
    const vector = new FeatureVector();
    expect(hasher.extract(update, { markovProbability: 0 }, vector)).toBe(MAX_FEATURES);
  });

  it('takes hostile strings in every field as plain values', () => {
    const hostile = ["'; DROP TABLE x; --", '\u0000\uffff', '🙂'.repeat(2000), 'a'.repeat(10_000)];
    for (const value of hostile) {
      const builder = new SessionBuilder({
        id: value,
        channel: value,
        campaign: value,
        country: value,
      });
      const update = builder.event({ at: Number.MAX_SAFE_INTEGER, page: value });
      const a = new FeatureVector();
      const b = new FeatureVector();
      hasher.extract(update, { markovProbability: Number.POSITIVE_INFINITY }, a);
      hasher.extract(update, { markovProbability: Number.POSITIVE_INFINITY }, b);
      expect(indices(a)).toEqual(indices(b));
      expect(indices(a).every((i) => Number.isInteger(i) && i < hasher.size)).toBe(true);
    }
  });

  it.each([7, 29, 20.5])('refuses %s bits', async (bits) => {
    await expect(createFeatureHasher({ bits })).rejects.toThrow(ConfigError);
  });
});
