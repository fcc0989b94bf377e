import { describe, expect, it } from 'vitest';
import { RateLimiter } from './rate-limiter.js';

describe('RateLimiter', () => {
  it('allows a burst, then the sustained rate, per source', () => {
    const limiter = new RateLimiter({ eventsPerSecond: 10, burst: 20 });
    expect(limiter.take('a', 20, 0)).toBe(0);
    expect(limiter.take('a', 1, 0)).toBe(1);
    // Another source is unaffected by the flood.
    expect(limiter.take('b', 20, 0)).toBe(0);
    // Half a second later, 5 tokens came back.
    expect(limiter.take('a', 5, 500)).toBe(0);
    expect(limiter.take('a', 1, 500)).toBeGreaterThan(0);
  });

  it('says how long to wait', () => {
    const limiter = new RateLimiter({ eventsPerSecond: 2, burst: 4 });
    limiter.take('a', 4, 0);
    expect(limiter.take('a', 4, 0)).toBe(2);
    expect(limiter.take('a', 100, 0)).toBe(2);
  });

  it('lets a request over the burst through from a full bucket, leaving the source in debt', () => {
    const limiter = new RateLimiter({ eventsPerSecond: 10, burst: 20 });
    expect(limiter.take('a', 50, 0)).toBe(0);
    // 30 tokens in debt: a request of 20 waits for 50 tokens, 5 s.
    expect(limiter.take('a', 20, 0)).toBe(5);
    expect(limiter.take('a', 20, 4_900)).toBe(1);
    expect(limiter.take('a', 20, 5_000)).toBe(0);
  });

  it('forgets the least recent sources beyond its bound', () => {
    const limiter = new RateLimiter({ eventsPerSecond: 1, burst: 1, maxSources: 2 });
    limiter.take('a', 1, 0);
    limiter.take('b', 1, 0);
    limiter.take('c', 1, 0);
    // 'a' was evicted, so it starts with a full bucket again.
    expect(limiter.take('a', 1, 0)).toBe(0);
  });
});
