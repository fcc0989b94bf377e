import { setImmediate as nextTurn } from 'node:timers/promises';
import { LRUCache } from 'lru-cache';
import {
  silentLogger,
  systemClock,
  toError,
  type Clock,
  type Logger,
  type Profile,
} from '../core/index.js';
import { BatchLoader } from './batch-loader.js';
import { SettledMap } from './settled-map.js';
import {
  cacheEntries,
  cacheHitRatio,
  cacheHits,
  cacheMisses,
  liveUpdates,
  sourceFetchErrors,
  sourceFetchedKeys,
  sourceFetches,
} from './crm-metrics.js';
import type { ProfileChange, ProfileSource } from './profile-source.js';

/** Tuning of the cache; every field optional, defaults in PROFILE_CACHE_DEFAULTS. */
export interface ProfileCacheOptions {
  /** Most entries, profiles and "unknown user" answers together. Default 100,000. */
  readonly maxEntries?: number;
  /** How long a profile is served before it is read again. Default 10 minutes. */
  readonly ttlMs?: number;
  /**
   * How often a profile that `peek` keeps hitting moves up in the LRU order, at most. Default
   * 60 s (0: on every hit). A hit within that time is answered from a table of its own
   * without asking lru-cache (see ProfileCache.peek). memcached bumps an item at most once a minute
   * (ITEM_UPDATE_INTERVAL) for the same reason; a minute is still far below the ttl, and only
   * the order among entries hit within the last minute is coarse: an entry not hit for longer
   * is evicted exactly as without the fast path. Staleness is exact whatever this is.
   */
  readonly recencyResolutionMs?: number;
  /**
   * How long "no such user" is served. Shorter than ttlMs (default 60 s): a user who signs up
   * reaches the CRM minutes later, and the session should pick the profile up then.
   */
  readonly negativeTtlMs?: number;
  /** See BatchLoaderOptions.windowMs. Default 0: one query per turn of the event loop. */
  readonly batchWindowMs?: number;
  /** Most user ids in one source query. Default 1,000. */
  readonly maxBatchSize?: number;
}

export const PROFILE_CACHE_DEFAULTS: Required<ProfileCacheOptions> = {
  maxEntries: 100_000,
  ttlMs: 10 * 60_000,
  recencyResolutionMs: 60_000,
  negativeTtlMs: 60_000,
  batchWindowMs: 0,
  maxBatchSize: 1_000,
};

export interface ProfileCacheDeps {
  readonly source: ProfileSource;
  readonly logger?: Logger;
  /** For ttl arithmetic; tests pass a ManualClock. Default: the system clock. */
  readonly clock?: Clock;
}

/** Told of every profile that enters the cache: null when the user has none (or was deleted). */
export type ProfileListener = (userId: string, profile: Profile | null) => void;

export interface ProfileCacheStats {
  readonly hits: number;
  readonly misses: number;
  /** hits / (hits + misses); NaN before the first lookup. */
  readonly hitRatio: number;
  readonly entries: number;
  /** Batched source queries sent, the user ids in them, and the queries that failed. */
  readonly fetches: number;
  readonly fetchedKeys: number;
  readonly fetchErrors: number;
}

/** "The source has no such user", cached like a profile (negative caching). */
const NO_PROFILE: unique symbol = Symbol('no profile');
type Entry = Profile | typeof NO_PROFILE;

/** Failed source queries are logged at most this often; the rest are counted. */
const FAILURE_LOG_INTERVAL_MS = 5_000;

/**
 * The CRM join's view of profiles: an LRU cache (max entries, ttl) whose misses are batched
 * into one `source.getMany` per window (BatchLoader): `get`'s through lru-cache's async
 * fetchMethod, `peek`'s without a promise (see `refresh`).
 *
 * - Stampede-safe: concurrent lookups of a key share one source query (lru-cache's one fetch
 *   per key, and BatchLoader's one query per key at a time).
 * - Negative caching: unknown users are cached as "none" for negativeTtlMs.
 * - Stale while revalidate: an expired profile is still served while it is read again; if the
 *   source fails, the old profile stays.
 * - Live: a source with `subscribe` (the Kafka topic) updates or removes cached entries at once.
 *
 * Two ways to read:
 * - `get(userId)` awaits the profile (batch jobs, the API);
 * - `peek(userId)` never waits, for the sessionizer's hot path, which cannot await per event: it
 *   returns the cached answer, or undefined and starts a background fetch. When that fetch (or
 *   a live update) brings the profile, `onProfile` listeners hear of it, so the pipeline can
 *   attach the profile to the visitor's open session: late identification fills in later.
 *
 * The peek fast path: lru-cache costs ~0.5-1 us a lookup (options, status, ttl and recency
 * bookkeeping), a third of the sessionizer's budget per identified event. So time is cut into
 * epochs of recencyResolutionMs, and an entry that moved up the LRU order in the current epoch
 * (a hit through lru-cache, or its insertion) and stays fresh past the epoch's end is also kept
 * in a table of its own (`settled`, a SettledMap: two cache misses a lookup where a Map has
 * three); it is replaced or dropped whenever lru-cache stores, evicts or deletes that key
 * (onInsert, dispose), and the whole table is dropped when the epoch ends. A peek finds it
 * there; any other goes through lru-cache as before. So the LRU order is exact to
 * recencyResolutionMs (memcached bumps items at most once a minute, for the same reason), and
 * staleness is exact. The table holds the entry itself, nothing per key to allocate or to read
 * besides.
 */
export class ProfileCache {
  private readonly source: ProfileSource;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly ttlMs: number;
  private readonly negativeTtlMs: number;
  private readonly recencyResolutionMs: number;
  /** lru-cache's clock, which ttl times are on. */
  private readonly perf: { now(): number };
  private readonly lru: LRUCache<string, Entry>;
  /** Entries fresh until `settledUntil` that moved up the LRU order since the epoch began. */
  private readonly settled = new SettledMap<Entry>();
  /** End of the current epoch (see the class comment); the table is valid before it. */
  private settledUntil = Number.NEGATIVE_INFINITY;
  private readonly loader: BatchLoader<Profile>;
  /** Users `peek` has the source read for (see `refresh`), until the answer is stored. */
  private readonly refreshing = new Set<string>();
  private readonly listeners = new Set<ProfileListener>();
  private readonly unsubscribe: (() => void) | undefined;

  /** Reused by every peek, which runs synchronously: no allocation on the hot path. */
  private readonly peekStatus: LRUCache.Status<string, Entry> = {};
  private readonly peekOptions: LRUCache.GetOptions<string, Entry, unknown>;

  private pendingEmits: Array<readonly [string, Entry]> = [];
  private hits = 0;
  private misses = 0;
  /** Hits and misses not yet added to the Prometheus counters (see `count`). */
  private unpublishedHits = 0;
  private unpublishedMisses = 0;
  private fetches = 0;
  private fetchedKeys = 0;
  private fetchErrors = 0;
  private lastFailureLogAt = -Infinity;
  private unloggedFailures = 0;
  private closed = false;

  constructor(options: ProfileCacheOptions, deps: ProfileCacheDeps) {
    const resolved = resolveProfileCacheOptions(options);
    this.source = deps.source;
    this.logger = (deps.logger ?? silentLogger).child({ component: 'crm_cache' });
    this.clock = deps.clock ?? systemClock;
    this.ttlMs = resolved.ttlMs;
    this.negativeTtlMs = resolved.negativeTtlMs;
    this.recencyResolutionMs = resolved.recencyResolutionMs;
    this.perf = deps.clock ?? performance;
    this.loader = new BatchLoader(
      (keys) => this.loadMany(keys),
      { windowMs: resolved.batchWindowMs, maxBatchSize: resolved.maxBatchSize },
      (keys, found) => this.refreshed(keys, found),
    );
    this.lru = new LRUCache<string, Entry>({
      max: resolved.maxEntries,
      ttl: resolved.ttlMs,
      // lru-cache reads performance.now() by default; an injected clock is read on every check
      // (ttlResolution 0), the default one at most once a millisecond.
      ...(deps.clock === undefined ? {} : { perf: deps.clock, ttlResolution: 0 }),
      // Expired entries stay until refreshed: they are what the refresh serves meanwhile and
      // what a failed refresh falls back to.
      noDeleteOnStaleGet: true,
      // A fetch overtaken by a live update (or invalidate) resolves with undefined instead of
      // rejecting: get() then reads what replaced it.
      allowStaleOnFetchAbort: true,
      fetchMethod: async (userId, _stale, { options }) => {
        const profile = await this.loader.load(userId);
        if (profile !== undefined) return profile;
        options.ttl = this.negativeTtlMs;
        return NO_PROFILE;
      },
      onInsert: (entry, userId) => {
        this.settleInserted(userId, entry);
        this.queueEmit(userId, entry);
      },
      dispose: (_entry, userId) => {
        this.settled.delete(userId);
      },
    });
    this.peekOptions = { allowStale: true, status: this.peekStatus };
    this.unsubscribe = this.source.subscribe?.((change) => this.applyChange(change));
  }

  /**
   * The cached answer without waiting: a profile, null (the user has none), or undefined (not
   * known yet: a fetch is under way, and onProfile will tell when it lands).
   */
  peek(userId: string): Profile | null | undefined {
    if (userId === '') return null;
    if (this.recencyResolutionMs > 0 && this.perf.now() < this.settledUntil) {
      const settled = this.settled.get(userId);
      if (settled !== undefined) {
        this.count(true);
        return settled === NO_PROFILE ? null : settled;
      }
    }
    const status = this.peekStatus;
    status.get = undefined;
    status.ttl = undefined;
    status.start = undefined;
    const entry = this.lru.get(userId, this.peekOptions);
    const state = status.get;
    if (entry !== undefined) {
      this.count(true);
      if (state === 'stale') this.refresh(userId);
      else if (state === 'hit') this.settleHit(userId, entry, status);
      return entry === NO_PROFILE ? null : entry;
    }
    this.count(false);
    if (state !== 'fetching' && state !== 'stale-fetching') this.refresh(userId);
    return undefined;
  }

  /** The profile, or null when the source has none; waits for the source on a miss. */
  async get(userId: string): Promise<Profile | null> {
    if (userId === '') return null;
    const cached = this.lru.get(userId);
    if (cached !== undefined) {
      this.count(true);
      return cached === NO_PROFILE ? null : cached;
    }
    this.count(false);
    // An expired profile is the answer if the source fails; without one, the failure is.
    const fallback = this.lru.peek(userId, { allowStale: true }) !== undefined;
    // TRICKY: a live update, a peek's refresh (see `refresh`) or invalidate() that lands while
    // the fetch is in flight aborts it, and lru-cache resolves it with the expired profile it
    // had, or undefined; so does a failed fetch this call joined. So the cache is read first:
    // it holds what overtook the fetch, else what the fetch stored. Without either, the fetch
    // runs again (once more of our own decides).
    for (let attempt = 0; attempt < 3; attempt++) {
      const fetched = await this.lru.fetch(userId, { allowStaleOnFetchRejection: fallback });
      const entry = this.lru.get(userId, { allowStale: true }) ?? fetched;
      if (entry !== undefined) return entry === NO_PROFILE ? null : entry;
    }
    return null;
  }

  /** Listens to profiles entering the cache (fetched or live). Returns an unsubscribe function. */
  onProfile(listener: ProfileListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Forgets a user: the next lookup reads the source. */
  invalidate(userId: string): void {
    this.refreshing.delete(userId);
    this.settled.delete(userId);
    this.lru.delete(userId);
  }

  /** Resolves once no source query is pending or in flight and their results are cached. */
  async whenIdle(): Promise<void> {
    do {
      await this.loader.idle();
      // lru-cache stores a fetched value a few promise reactions after the source answered.
      await nextTurn();
    } while (this.loader.busy);
  }

  stats(): ProfileCacheStats {
    this.publishGauges();
    const lookups = this.hits + this.misses;
    return {
      hits: this.hits,
      misses: this.misses,
      hitRatio: lookups === 0 ? Number.NaN : this.hits / lookups,
      entries: this.lru.size,
      fetches: this.fetches,
      fetchedKeys: this.fetchedKeys,
      fetchErrors: this.fetchErrors,
    };
  }

  /** Stops listening to the source and waits for queries in flight. The source is not closed. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe?.();
    this.listeners.clear();
    await this.whenIdle();
  }

  /** Keeps a hit (lru-cache just moved it up) for the fast path, if fresh past the epoch. */
  private settleHit(userId: string, entry: Entry, status: LRUCache.Status<string, Entry>): void {
    const { ttl, start } = status;
    if (ttl === undefined || start === undefined) return;
    this.settle(userId, entry, start + ttl);
  }

  /**
   * An entry lru-cache is storing (a fetch landed, a live change) is at the front of its LRU
   * order now, as after a hit, so the next peeks may take the fast path at once: otherwise every
   * user's first peek after a fetch would pay for a full lru-cache lookup.
   *
   * TRICKY: lru-cache calls onInsert before it reads its clock for the entry's start, so
   * `now + ttl` is at or before the time it calls the entry stale: the fast path never serves an
   * entry lru-cache would call stale. The ttl is what this class sets: negativeTtlMs for "none"
   * (fetchMethod, applyChange), the cache's ttl for a profile.
   */
  private settleInserted(userId: string, entry: Entry): void {
    const ttl = entry === NO_PROFILE ? this.negativeTtlMs : this.ttlMs;
    this.settle(userId, entry, this.perf.now() + ttl);
  }

  /**
   * Keeps an entry that just moved up the LRU order for the fast path, when it stays fresh
   * until the epoch ends (starting a new epoch if the last one is over); drops it otherwise.
   */
  private settle(userId: string, entry: Entry, staleAt: number): void {
    if (this.recencyResolutionMs === 0) return;
    const now = this.perf.now();
    if (now >= this.settledUntil) {
      this.settled.clear();
      this.settledUntil = now + this.recencyResolutionMs;
    }
    // A key the table turns away (a flood of crafted ids: SettledMap) takes the slow path.
    if (staleAt >= this.settledUntil) this.settled.set(userId, entry);
    else this.settled.delete(userId);
  }

  /**
   * Counts a lookup. The Prometheus counters get the tallies in bulk, once the synchronous run
   * of lookups (a batch of events) is over: a counter's inc() costs more than the fast peek
   * itself. A scrape runs in a task of its own, so it never sees them behind.
   */
  private count(hit: boolean): void {
    if (hit) {
      this.hits += 1;
      this.unpublishedHits += 1;
    } else {
      this.misses += 1;
      this.unpublishedMisses += 1;
    }
    if (this.unpublishedHits + this.unpublishedMisses === 1) queueMicrotask(this.publishCounts);
    // Gauges are derived; refreshing them every 1,024 lookups keeps the hot path short.
    if (((this.hits + this.misses) & 1023) === 0) this.publishGauges();
  }

  private readonly publishCounts = (): void => {
    if (this.unpublishedHits > 0) cacheHits.inc(this.unpublishedHits);
    if (this.unpublishedMisses > 0) cacheMisses.inc(this.unpublishedMisses);
    this.unpublishedHits = 0;
    this.unpublishedMisses = 0;
  };

  private publishGauges(): void {
    this.publishCounts();
    const lookups = this.hits + this.misses;
    if (lookups > 0) cacheHitRatio.set(this.hits / lookups);
    cacheEntries.set(this.lru.size);
  }

  /**
   * Has the source read for `userId` in the next batch, for `peek`, which cannot wait; the answer
   * is stored when it lands (`refreshed`). Nothing more when the user is being read already.
   *
   * NOTE: not through lru-cache's fetch, which costs ~6-12 us a key on the hot path (an
   * AbortController with its listeners, promises, a placeholder entry), against ~1-3 us for a
   * fetch without a promise (measured by hand over 200k cached profiles). A cold cache (after a
   * restart) misses once for every identified visitor, on the sessionizer's thread.
   */
  private refresh(userId: string): void {
    if (this.loader.want(userId)) this.refreshing.add(userId);
  }

  /**
   * Stores what the source answered for the users `refresh` asked for, as fetchMethod would;
   * a failed query stores nothing, so an expired profile stays and is served until a refresh
   * succeeds. A live change or invalidate() since the user was asked for has taken the user out
   * of `refreshing`: that answer may be older, and is dropped.
   */
  private refreshed(
    keys: readonly string[],
    found: ReadonlyMap<string, Profile> | undefined,
  ): void {
    if (this.refreshing.size === 0) return;
    for (const userId of keys) {
      if (!this.refreshing.delete(userId) || found === undefined) continue;
      const profile = found.get(userId);
      if (profile !== undefined) this.lru.set(userId, profile);
      else this.lru.set(userId, NO_PROFILE, { ttl: this.negativeTtlMs });
    }
  }

  private async loadMany(userIds: string[]): Promise<ReadonlyMap<string, Profile>> {
    const source = this.source.name;
    this.fetches += 1;
    this.fetchedKeys += userIds.length;
    sourceFetches.inc({ source });
    sourceFetchedKeys.inc({ source }, userIds.length);
    try {
      return await this.source.getMany(userIds);
    } catch (thrown) {
      this.fetchErrors += 1;
      sourceFetchErrors.inc({ source });
      this.logFailure(thrown, userIds.length);
      throw thrown;
    } finally {
      this.publishGauges();
    }
  }

  /** One warning per interval, with how many failures it stands for: an outage is not a flood. */
  private logFailure(thrown: unknown, keys: number): void {
    this.unloggedFailures += 1;
    const now = this.clock.now();
    if (now - this.lastFailureLogAt < FAILURE_LOG_INTERVAL_MS) return;
    this.logger.warn('crm_profile_fetch_failed', {
      source: this.source.name,
      keys,
      failures: this.unloggedFailures,
      err: toError(thrown),
    });
    this.lastFailureLogAt = now;
    this.unloggedFailures = 0;
  }

  private applyChange(change: ProfileChange): void {
    // Only users the cache holds (or is fetching) are updated; any other user's next lookup
    // reads the source, which already has the change. NOTE: getRemainingTTL is 0 only for
    // keys the cache does not hold at all.
    const asked = this.refreshing.delete(change.userId);
    if (this.lru.getRemainingTTL(change.userId) === 0 && !asked) return;
    if (change.profile === null) {
      liveUpdates.inc({ kind: 'delete' });
      this.lru.set(change.userId, NO_PROFILE, { ttl: this.negativeTtlMs });
    } else {
      liveUpdates.inc({ kind: 'upsert' });
      this.lru.set(change.userId, change.profile);
    }
  }

  /**
   * Listeners hear of an entry after lru-cache has finished storing it (a microtask later), so
   * a listener that reads the cache sees the new entry and does not start another fetch.
   */
  private queueEmit(userId: string, entry: Entry): void {
    if (this.listeners.size === 0) return;
    this.pendingEmits.push([userId, entry]);
    if (this.pendingEmits.length === 1) queueMicrotask(() => this.emit());
  }

  private emit(): void {
    const batch = this.pendingEmits;
    this.pendingEmits = [];
    for (const [userId, entry] of batch) {
      const profile = entry === NO_PROFILE ? null : entry;
      for (const listener of this.listeners) {
        try {
          listener(userId, profile);
        } catch (thrown) {
          this.logger.error('crm_profile_listener_failed', { userId, err: toError(thrown) });
        }
      }
    }
  }
}

export function resolveProfileCacheOptions(
  options: ProfileCacheOptions = {},
): Required<ProfileCacheOptions> {
  const resolved = { ...PROFILE_CACHE_DEFAULTS };
  for (const key of Object.keys(PROFILE_CACHE_DEFAULTS) as Array<keyof ProfileCacheOptions>) {
    const value = options[key];
    if (value === undefined) continue;
    const min = key === 'batchWindowMs' || key === 'recencyResolutionMs' ? 0 : 1;
    if (!Number.isSafeInteger(value) || value < min) {
      throw new RangeError(
        `profile cache option ${key} must be a whole number >= ${min}: ${value}`,
      );
    }
    resolved[key] = value;
  }
  return resolved;
}
