import { LRUCache } from 'lru-cache';
import type { Score, ScoreFeed } from '../../core/index.js';

/** Most visitors whose latest live score is kept. */
export const DEFAULT_LATEST_SCORES = 100_000;

/**
 * The latest live score of each recently scored visitor, per site: a bounded LRU fed by the
 * runtime's score feed, so `GET /v1/visitors/:id` answers an active visitor from memory. A
 * visitor evicted (or scored by another process) is looked up in ClickHouse instead.
 *
 * NOTE: a score older (in event time) than the one kept does not replace it: a late event must
 * not make the visitor's "current" propensity go back in time.
 */
export class LatestScores {
  private readonly cache: LRUCache<string, Score>;
  private unsubscribe: (() => void) | undefined;

  constructor(maxVisitors: number = DEFAULT_LATEST_SCORES) {
    this.cache = new LRUCache<string, Score>({ max: maxVisitors });
  }

  /** Starts listening to `feed`; close() stops. */
  follow(feed: ScoreFeed): this {
    this.unsubscribe?.();
    this.unsubscribe = feed.subscribe((score) => this.put(score));
    return this;
  }

  put(score: Score): void {
    const key = keyOf(score.site, score.visitor);
    const kept = this.cache.peek(key);
    if (kept !== undefined && kept.at > score.at) return;
    this.cache.set(key, score);
  }

  get(site: string, visitor: string): Score | undefined {
    return this.cache.get(keyOf(site, visitor));
  }

  get size(): number {
    return this.cache.size;
  }

  /** Stops listening; safe to call twice. */
  close(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }
}

// The length prefix keeps the key one-to-one whatever characters the two ids hold.
const keyOf = (site: string, visitor: string): string => `${site.length}:${site}${visitor}`;
