import { LRUCache } from 'lru-cache';

export interface RateLimitOptions {
  /** Sustained events per second per source. */
  readonly eventsPerSecond: number;
  /** Events a source may send at once after being idle. */
  readonly burst: number;
  /** How many sources are tracked (least recently seen are forgotten). */
  readonly maxSources?: number;
}

interface Bucket {
  tokens: number;
  updatedAt: number;
}

/**
 * A token bucket per source (site + client address): one flooding visitor gets 429s while
 * everyone else is unaffected. Buckets live in a bounded LRU, so memory stays flat under a
 * spray of addresses.
 */
export class RateLimiter {
  private readonly rate: number;
  private readonly burst: number;
  private readonly buckets: LRUCache<string, Bucket>;

  constructor(options: RateLimitOptions) {
    this.rate = options.eventsPerSecond;
    this.burst = options.burst;
    this.buckets = new LRUCache({ max: options.maxSources ?? 100_000 });
  }

  /**
   * Takes `cost` tokens for `source` at time `now` (ms). Returns 0 when allowed, else the seconds
   * to wait before the same request would be allowed.
   */
  take(source: string, cost: number, now: number): number {
    let bucket = this.buckets.get(source);
    if (bucket === undefined) {
      bucket = { tokens: this.burst, updatedAt: now };
      this.buckets.set(source, bucket);
    } else {
      const elapsed = Math.max(0, now - bucket.updatedAt) / 1000;
      bucket.tokens = Math.min(this.burst, bucket.tokens + elapsed * this.rate);
      bucket.updatedAt = now;
    }
    // NOTE: a request bigger than the burst passes from a full bucket and leaves the source in
    // debt (tokens below zero), so it waits longer next time. Otherwise a valid batch over the
    // burst could never pass at all, however long its sender waited.
    const needed = Math.min(cost, this.burst);
    if (bucket.tokens >= needed) {
      bucket.tokens -= cost;
      return 0;
    }
    return Math.max(1, Math.ceil((needed - bucket.tokens) / this.rate));
  }
}
