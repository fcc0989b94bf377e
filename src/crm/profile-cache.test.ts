import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock, MemoryLogger, registry, type Profile } from '../core/index.js';
import { MemoryProfileStore } from './memory-profile-store.js';
import {
  ProfileCache,
  resolveProfileCacheOptions,
  type ProfileCacheOptions,
} from './profile-cache.js';
import type { ProfileChangeListener, ProfileSource } from './profile-source.js';

const profile = (userId: string, segment = 'vip'): Profile => ({
  userId,
  emailHash: '',
  segment,
  lifetimeValue: 10,
  orders: 1,
  firstOrderAt: null,
  lastOrderAt: null,
  tenureDays: 1,
  churned: false,
  attributes: {},
  updatedAt: 1,
});

interface Deferred {
  readonly keys: readonly string[];
  resolve(): void;
  reject(error: unknown): void;
}

/**
 * A source over a MemoryProfileStore that records every getMany and, when `manual`, holds each
 * answer until the test releases it.
 */
class FakeSource implements ProfileSource {
  readonly name = 'fake';
  readonly store = new MemoryProfileStore();
  readonly calls: string[][] = [];
  readonly held: Deferred[] = [];
  manual = false;
  /** False: changes to the store are not announced (a source without live updates). */
  live = true;
  failWith: Error | undefined;

  async start(): Promise<void> {}
  async close(): Promise<void> {}

  getMany(userIds: readonly string[]): Promise<Map<string, Profile>> {
    this.calls.push([...userIds]);
    if (this.failWith !== undefined) return Promise.reject(this.failWith);
    if (!this.manual) return this.store.getMany(userIds);
    return new Promise((resolve, reject) => {
      this.held.push({
        keys: userIds,
        // Read at release time, as a database would answer then.
        resolve: () => void this.store.getMany(userIds).then(resolve),
        reject,
      });
    });
  }

  subscribe(listener: ProfileChangeListener): () => void {
    return this.store.subscribe((change) => {
      if (this.live) listener(change);
    });
  }
}

const caches: ProfileCache[] = [];
afterEach(async () => {
  await Promise.all(caches.splice(0).map((c) => c.close()));
});

function setup(options: ProfileCacheOptions = {}, users: string[] = ['u1', 'u2', 'u3']) {
  const source = new FakeSource();
  void source.store.write(users.map((u) => profile(u)));
  const clock = new ManualClock(1_000_000);
  const logger = new MemoryLogger();
  const cache = new ProfileCache(options, { source, clock, logger });
  caches.push(cache);
  return { source, clock, cache, logger };
}

describe('ProfileCache.get', () => {
  it('batches the misses of one turn into one source query', async () => {
    const { cache, source } = setup({}, ['a', 'b', 'c']);
    const results = await Promise.all(['a', 'b', 'c', 'ghost'].map((id) => cache.get(id)));
    expect(results.map((p) => p?.userId ?? null)).toEqual(['a', 'b', 'c', null]);
    expect(source.calls).toEqual([['a', 'b', 'c', 'ghost']]);
  });

  it('batches misses that are a few awaits apart (one event-loop turn)', async () => {
    const { cache, source } = setup({}, ['a', 'b']);
    const lookups = ['a', 'b'].map(async (id, i) => {
      for (let k = 0; k < i * 3; k++) await Promise.resolve();
      return cache.get(id);
    });
    await Promise.all(lookups);
    expect(source.calls).toEqual([['a', 'b']]);
  });

  it('splits a large batch at maxBatchSize', async () => {
    const ids = Array.from({ length: 250 }, (_, i) => `u${i}`);
    const { cache, source } = setup({ maxBatchSize: 100 }, ids);
    await Promise.all(ids.map((id) => cache.get(id)));
    expect(source.calls.map((call) => call.length)).toEqual([100, 100, 50]);
  });

  it('shares one fetch among concurrent lookups of a key (no stampede)', async () => {
    const { cache, source } = setup();
    source.manual = true;
    const pending = Array.from({ length: 50 }, () => cache.get('u1'));
    await waitFor(() => source.held.length === 1);
    source.held[0]?.resolve();
    const results = await Promise.all(pending);
    expect(new Set(results).size).toBe(1);
    expect(results[0]?.userId).toBe('u1');
    expect(source.calls).toEqual([['u1']]);
  });

  it('serves hits without the source and counts hits and misses', async () => {
    const { cache, source } = setup();
    await cache.get('u1');
    await cache.get('u1');
    await cache.get('u1');
    expect(source.calls).toHaveLength(1);
    expect(cache.stats()).toMatchObject({
      hits: 2,
      misses: 1,
      hitRatio: 2 / 3,
      entries: 1,
      fetches: 1,
    });
  });

  it('caches an unknown user for the shorter negative ttl', async () => {
    const { cache, source, clock } = setup({ ttlMs: 60_000, negativeTtlMs: 5_000 });
    source.live = false;
    expect(await cache.get('ghost')).toBeNull();
    expect(await cache.get('ghost')).toBeNull();
    expect(source.calls).toEqual([['ghost']]);
    clock.advance(5_001);
    await source.store.write([profile('ghost', 'new')]);
    expect((await cache.get('ghost'))?.segment).toBe('new');
    expect(source.calls).toHaveLength(2);
    // A found profile keeps the long ttl.
    clock.advance(30_000);
    await cache.get('ghost');
    expect(source.calls).toHaveLength(2);
  });

  it('reads a profile again after its ttl', async () => {
    const { cache, source, clock } = setup({ ttlMs: 60_000 });
    source.live = false;
    await cache.get('u1');
    await source.store.write([profile('u1', 'changed')]);
    clock.advance(59_000);
    expect((await cache.get('u1'))?.segment).toBe('vip');
    clock.advance(2_000);
    expect((await cache.get('u1'))?.segment).toBe('changed');
  });

  it('evicts the least recently used entry beyond maxEntries', async () => {
    const { cache, source } = setup({ maxEntries: 2 });
    await cache.get('u1');
    await cache.get('u2');
    await cache.get('u1');
    await cache.get('u3');
    expect(cache.stats().entries).toBe(2);
    await cache.get('u1');
    expect(source.calls.flat()).toEqual(['u1', 'u2', 'u3']);
    await cache.get('u2');
    expect(source.calls.flat()).toEqual(['u1', 'u2', 'u3', 'u2']);
  });

  it('fails every lookup of a failed batch, counts and logs it once, and recovers', async () => {
    const { cache, source, logger } = setup();
    source.failWith = new Error('connection refused');
    const results = await Promise.allSettled(['u1', 'u2'].map((id) => cache.get(id)));
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(cache.stats()).toMatchObject({ fetches: 1, fetchErrors: 1, entries: 0 });
    expect(logger.lines.filter((l) => l.event === 'crm_profile_fetch_failed')).toHaveLength(1);
    source.failWith = undefined;
    expect((await cache.get('u1'))?.userId).toBe('u1');
  });

  it('keeps serving the old profile while the source is down', async () => {
    const { cache, source, clock } = setup({ ttlMs: 1_000 });
    await cache.get('u1');
    clock.advance(2_000);
    source.failWith = new Error('down');
    expect((await cache.get('u1'))?.userId).toBe('u1');
    expect(cache.peek('u1')?.userId).toBe('u1');
  });

  it('answers null for an empty user id without asking the source', async () => {
    const { cache, source } = setup();
    expect(await cache.get('')).toBeNull();
    expect(cache.peek('')).toBeNull();
    expect(source.calls).toEqual([]);
  });
});

describe('ProfileCache.peek (the hot path)', () => {
  it('returns undefined on a miss, fetches in the background, and tells onProfile', async () => {
    const { cache, source } = setup();
    const heard: Array<[string, string | null]> = [];
    cache.onProfile((userId, p) => heard.push([userId, p?.segment ?? null]));
    expect(cache.peek('u1')).toBeUndefined();
    expect(cache.peek('ghost')).toBeUndefined();
    await cache.whenIdle();
    expect(heard).toEqual([
      ['u1', 'vip'],
      ['ghost', null],
    ]);
    expect(cache.peek('u1')?.segment).toBe('vip');
    expect(cache.peek('ghost')).toBeNull();
    expect(source.calls).toEqual([['u1', 'ghost']]);
  });

  it('batches the misses of a synchronous loop over events into one query', async () => {
    const ids = Array.from({ length: 500 }, (_, i) => `u${i}`);
    const { cache, source } = setup({}, ids);
    for (let round = 0; round < 3; round++) for (const id of ids) cache.peek(id);
    await cache.whenIdle();
    expect(source.calls).toHaveLength(1);
    expect(source.calls[0]).toHaveLength(500);
    expect(cache.stats()).toMatchObject({ misses: 1_500, hits: 0 });
    for (const id of ids) cache.peek(id);
    expect(cache.stats()).toMatchObject({ hits: 500 });
  });

  it('lets a listener read the cache: the entry is stored before listeners hear of it', async () => {
    const { cache, source } = setup();
    const seen: Array<Profile | null | undefined> = [];
    cache.onProfile((userId) => seen.push(cache.peek(userId)));
    cache.peek('u1');
    await cache.whenIdle();
    expect(seen.map((p) => p?.userId)).toEqual(['u1']);
    expect(source.calls).toHaveLength(1);
  });

  it('serves an expired profile while refreshing it, then the fresh one', async () => {
    const { cache, source } = await expiredProfile();
    expect(cache.peek('u1')?.segment).toBe('vip');
    expect(cache.peek('u1')?.segment).toBe('vip');
    await cache.whenIdle();
    expect(cache.peek('u1')?.segment).toBe('fresh');
    expect(source.calls).toEqual([['u1'], ['u1']]);
  });

  it('does not start a second fetch for a key already being fetched', async () => {
    const { cache, source } = setup();
    source.manual = true;
    cache.peek('u1');
    await waitFor(() => source.held.length === 1);
    cache.peek('u1');
    cache.peek('u1');
    await new Promise((resolve) => setImmediate(resolve));
    expect(source.calls).toHaveLength(1);
    source.held[0]?.resolve();
    await cache.whenIdle();
  });

  it('keeps an expired profile when its refresh fails, and asks again on the next peek', async () => {
    const { cache, source } = await expiredProfile();
    source.failWith = new Error('down');
    expect(cache.peek('u1')?.segment).toBe('vip');
    await cache.whenIdle();
    expect(cache.stats().fetchErrors).toBe(1);
    source.failWith = undefined;
    expect(cache.peek('u1')?.segment).toBe('vip');
    await cache.whenIdle();
    expect(cache.peek('u1')?.segment).toBe('fresh');
    expect(source.calls).toEqual([['u1'], ['u1'], ['u1']]);
  });

  it("stores a peek's unknown user for the negative ttl, and a profile for the ttl", async () => {
    const { cache, source, clock } = setup({ ttlMs: 60_000, negativeTtlMs: 1_000 });
    cache.peek('ghost');
    cache.peek('u1');
    await cache.whenIdle();
    expect(cache.peek('ghost')).toBeNull();
    clock.advance(1_001);
    expect(cache.peek('u1')?.userId).toBe('u1');
    expect(cache.peek('ghost')).toBeNull();
    await cache.whenIdle();
    expect(source.calls).toEqual([['ghost', 'u1'], ['ghost']]);
  });

  it('answers get() of an expired profile with the fresh one when a peek refreshes it', async () => {
    const { cache, source } = await expiredProfile();
    source.manual = true;
    expect(cache.peek('u1')?.segment).toBe('vip');
    const awaited = cache.get('u1');
    await waitFor(() => source.held.length === 1);
    source.held[0]?.resolve();
    expect((await awaited)?.segment).toBe('fresh');
    expect(source.calls).toEqual([['u1'], ['u1']]);
  });

  it('answers get() of an expired profile with a live change that overtook its fetch', async () => {
    const { cache, source } = await expiredProfile();
    source.manual = true;
    const awaited = cache.get('u1');
    await waitFor(() => source.held.length === 1);
    source.live = true;
    await source.store.write([profile('u1', 'upgraded')]);
    source.held[0]?.resolve();
    expect((await awaited)?.segment).toBe('upgraded');
  });

  it('drops an answer that a live change or invalidate() overtook', async () => {
    const { cache, source } = setup();
    source.manual = true;
    expect(cache.peek('u1')).toBeUndefined();
    await waitFor(() => source.held.length === 1);
    await source.store.write([profile('u1', 'upgraded')]);
    expect(cache.peek('u1')?.segment).toBe('upgraded');
    // The query answers later with what the source then has, unannounced: older than the change.
    source.live = false;
    await source.store.write([profile('u1', 'older')]);
    source.held[0]?.resolve();
    await cache.whenIdle();
    expect(cache.peek('u1')?.segment).toBe('upgraded');

    expect(cache.peek('u2')).toBeUndefined();
    await waitFor(() => source.held.length === 2);
    cache.invalidate('u2');
    source.held[1]?.resolve();
    await cache.whenIdle();
    expect(cache.peek('u2')).toBeUndefined();
    await waitFor(() => source.held.length === 3);
    expect(source.calls).toEqual([['u1'], ['u2'], ['u2']]);
    source.held[2]?.resolve();
    await cache.whenIdle();
    expect(cache.peek('u2')?.segment).toBe('vip');
  });

  it('shares one source query between peek and get, in the same turn or later', async () => {
    const { cache, source } = setup();
    source.manual = true;
    cache.peek('u1');
    await waitFor(() => source.held.length === 1);
    const later = cache.get('u1');
    cache.peek('u2');
    const sameTurn = cache.get('u2');
    await waitFor(() => source.held.length === 2);
    for (const held of source.held) held.resolve();
    expect((await later)?.userId).toBe('u1');
    expect((await sameTurn)?.userId).toBe('u2');
    expect(source.calls).toEqual([['u1'], ['u2']]);
    expect(cache.peek('u1')?.userId).toBe('u1');
  });

  it('counts a failed background fetch without an unhandled rejection', async () => {
    const { cache, source } = setup();
    source.failWith = new Error('down');
    expect(cache.peek('u1')).toBeUndefined();
    await cache.whenIdle();
    expect(cache.stats().fetchErrors).toBe(1);
    expect(cache.peek('u1')).toBeUndefined();
  });

  it('keeps other listeners going when one throws', async () => {
    const { cache, logger } = setup();
    const heard: string[] = [];
    cache.onProfile(() => {
      throw new Error('listener bug');
    });
    const off = cache.onProfile((userId) => heard.push(userId));
    cache.peek('u1');
    await cache.whenIdle();
    expect(heard).toEqual(['u1']);
    expect(logger.lines.some((l) => l.event === 'crm_profile_listener_failed')).toBe(true);
    off();
    cache.peek('u2');
    await cache.whenIdle();
    expect(heard).toEqual(['u1']);
  });
});

describe('ProfileCache.peek fast path (settled answers)', () => {
  it('serves a settled profile until its ttl, then the stale one while refreshing', async () => {
    const { cache, source, clock } = setup({ ttlMs: 1_000 });
    source.live = false;
    cache.peek('u1');
    await cache.whenIdle();
    expect(cache.peek('u1')?.segment).toBe('vip');
    await source.store.write([profile('u1', 'fresh')]);
    clock.advance(500);
    expect(cache.peek('u1')?.segment).toBe('vip');
    clock.advance(600);
    expect(cache.peek('u1')?.segment).toBe('vip');
    await cache.whenIdle();
    expect(cache.peek('u1')?.segment).toBe('fresh');
    expect(source.calls).toEqual([['u1'], ['u1']]);
  });

  it('answers a live update, a deletion and invalidate() at once', async () => {
    const { cache, source } = setup();
    cache.peek('u1');
    await cache.whenIdle();
    expect(cache.peek('u1')?.segment).toBe('vip');
    await source.store.write([profile('u1', 'upgraded')]);
    expect(cache.peek('u1')?.segment).toBe('upgraded');
    await source.store.delete(['u1']);
    expect(cache.peek('u1')).toBeNull();
    cache.invalidate('u1');
    expect(cache.peek('u1')).toBeUndefined();
  });

  it.each([
    { recencyResolutionMs: 1_000, evicted: 'u1', kept: 'u2' },
    { recencyResolutionMs: 0, evicted: 'u2', kept: 'u1' },
  ])(
    'moves a hit up the LRU order at most once per $recencyResolutionMs ms',
    async ({ recencyResolutionMs, evicted, kept }) => {
      const { cache, clock } = setup({ maxEntries: 2, recencyResolutionMs });
      await cache.get('u1');
      await cache.get('u2');
      expect(cache.peek('u1')?.userId).toBe('u1'); // u1 moves up: u2, u1
      clock.advance(500);
      expect(cache.peek('u2')?.userId).toBe('u2'); // u2 moves up: u1, u2
      // Within the resolution this hit leaves the order alone; with 0 it moves u1 up again.
      expect(cache.peek('u1')?.userId).toBe('u1');
      await cache.get('u3');
      expect(cache.peek(kept)?.userId).toBe(kept);
      expect(cache.peek(evicted)).toBeUndefined();
    },
  );
});

describe('ProfileCache.peek recency and staleness by default', () => {
  it('moves an entry up the LRU order at most once a minute', async () => {
    const { cache, clock } = setup({ maxEntries: 2 });
    await cache.get('u1');
    await cache.get('u2');
    clock.advance(59_000);
    // Inserted (moved up) within the minute: this hit leaves the order u1, u2 alone.
    expect(cache.peek('u1')?.userId).toBe('u1');
    await cache.get('u3');
    expect(cache.stats().entries).toBe(2);
    expect(cache.peek('u2')?.userId).toBe('u2');
    expect(cache.peek('u3')?.userId).toBe('u3');
    expect(cache.peek('u1')).toBeUndefined();
  });

  it('still calls an entry stale exactly at its ttl, across minutes', async () => {
    const { cache, source, clock } = setup({ ttlMs: 90_000 });
    source.live = false;
    await cache.get('u1');
    await source.store.write([profile('u1', 'fresh')]);
    clock.advance(59_000);
    expect(cache.peek('u1')?.segment).toBe('vip');
    clock.advance(2_000);
    expect(cache.peek('u1')?.segment).toBe('vip');
    clock.advance(29_000);
    // At the ttl, not yet past it: still fresh, no refresh.
    expect(cache.peek('u1')?.segment).toBe('vip');
    expect(source.calls).toHaveLength(1);
    clock.advance(1);
    expect(cache.peek('u1')?.segment).toBe('vip');
    await cache.whenIdle();
    expect(source.calls).toHaveLength(2);
    expect(cache.peek('u1')?.segment).toBe('fresh');
  });
});

describe('ProfileCache live updates', () => {
  it('updates and removes cached users as the source reports changes', async () => {
    const { cache, source } = setup();
    const heard: Array<[string, string | null]> = [];
    cache.onProfile((userId, p) => heard.push([userId, p?.segment ?? null]));
    await cache.get('u1');
    await source.store.write([profile('u1', 'upgraded')]);
    expect(cache.peek('u1')?.segment).toBe('upgraded');
    await source.store.delete(['u1']);
    expect(cache.peek('u1')).toBeNull();
    await cache.whenIdle();
    expect(heard).toEqual([
      ['u1', 'vip'],
      ['u1', 'upgraded'],
      ['u1', null],
    ]);
    expect(source.calls).toHaveLength(1);
  });

  it('leaves users it does not hold to the next lookup', async () => {
    const { cache, source } = setup();
    await source.store.write([profile('u9', 'new')]);
    expect(cache.stats().entries).toBe(0);
    expect((await cache.get('u9'))?.segment).toBe('new');
  });

  it('turns a cached "unknown" into the profile when the user appears', async () => {
    const { cache, source } = setup();
    expect(await cache.get('late')).toBeNull();
    await source.store.write([profile('late', 'new')]);
    expect(cache.peek('late')?.segment).toBe('new');
  });

  it('wins over a fetch that was in flight when the change came', async () => {
    const { cache, source } = setup();
    source.manual = true;
    const pending = cache.get('u1');
    await waitFor(() => source.held.length === 1);
    // The source answers with what it had, but the change arrives first.
    const stale = profile('u1', 'old');
    await source.store.write([stale]);
    await source.store.write([profile('u1', 'newest')]);
    source.held[0]?.resolve();
    expect((await pending)?.segment).toBe('newest');
    await cache.whenIdle();
    expect(cache.peek('u1')?.segment).toBe('newest');
  });

  it('stops listening on close', async () => {
    const { cache, source } = setup();
    await cache.get('u1');
    await cache.close();
    await source.store.write([profile('u1', 'after-close')]);
    expect(cache.peek('u1')?.segment).toBe('vip');
  });
});

describe('metrics and options', () => {
  it('publishes hits, misses and the hit ratio to the registry', async () => {
    const { cache } = setup();
    await cache.get('u1');
    await cache.get('u1');
    cache.stats();
    const text = await registry.metrics();
    expect(text).toMatch(/pathcast_crm_cache_hits_total \d+/);
    expect(text).toMatch(/pathcast_crm_cache_misses_total \d+/);
    expect(text).toMatch(/pathcast_crm_cache_hit_ratio 0\.\d+|pathcast_crm_cache_hit_ratio 1/);
    expect(text).toMatch(/pathcast_crm_source_fetches_total\{source="fake"\} \d+/);
  });

  it('adds a synchronous run of lookups to the counters before anything else runs', async () => {
    const hitsTotal = async (): Promise<number> => {
      const metric = registry.getSingleMetric('pathcast_crm_cache_hits_total');
      return (await metric?.get())?.values[0]?.value ?? 0;
    };
    const { cache } = setup();
    await cache.get('u1');
    const before = await hitsTotal();
    for (let i = 0; i < 10; i++) cache.peek('u1');
    await Promise.resolve();
    expect(await hitsTotal()).toBe(before + 10);
  });

  it.each([
    [{ maxEntries: 0 }],
    [{ ttlMs: -1 }],
    [{ negativeTtlMs: 1.5 }],
    [{ batchWindowMs: -1 }],
    [{ recencyResolutionMs: -1 }],
    [{ maxBatchSize: Number.NaN }],
  ])('refuses %j', (options) => {
    expect(() => resolveProfileCacheOptions(options)).toThrow(RangeError);
  });

  it('collects misses over a window when asked', async () => {
    const { cache, source } = setup({ batchWindowMs: 20 });
    const first = cache.get('u1');
    await new Promise((resolve) => setTimeout(resolve, 5));
    const second = cache.get('u2');
    await Promise.all([first, second]);
    expect(source.calls).toEqual([['u1', 'u2']]);
  });
});

/** A cache whose u1 ('vip') expired (ttl 1 s) while the source, unannounced, has u1 'fresh'. */
async function expiredProfile() {
  const fixture = setup({ ttlMs: 1_000 });
  fixture.source.live = false;
  await fixture.cache.get('u1');
  await fixture.source.store.write([profile('u1', 'fresh')]);
  fixture.clock.advance(1_500);
  return fixture;
}

async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !condition(); i++) {
    await new Promise((resolve) => setImmediate(resolve));
  }
  expect(condition()).toBe(true);
}
