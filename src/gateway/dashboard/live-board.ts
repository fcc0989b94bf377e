import type { Score } from '../../core/index.js';
import type { LiveSession } from './api-types.js';

export interface LiveBoardOptions {
  /** A visitor counts as live this long after their latest score, ms. Default 5 min. */
  readonly windowMs?: number;
  /** Most visitors kept per site; the least recently scored go first. Default 50,000. */
  readonly maxVisitors?: number;
}

export interface LiveSummary {
  readonly liveVisitors: number;
  readonly liveSessions: number;
  readonly averagePropensity: number | null;
}

interface Entry {
  score: Score;
  seenAt: number;
  updates: number;
}

export const LIVE_WINDOW_MS = 5 * 60_000;

/**
 * The live visitors of one site: each visitor's latest score, kept while its event time is within
 * the window before now (so a backfill or a replay of old or future-dated traffic never looks
 * live). Bounded:
 * past `maxVisitors` the visitor scored least recently is dropped (a Map keeps insertion order
 * and every score re-inserts its visitor). Pruning scans every entry: the bounded map is cheap
 * to scan once a second, and scores may arrive out of event-time order.
 */
export class LiveBoard {
  readonly windowMs: number;
  private readonly maxVisitors: number;
  private readonly visitors = new Map<string, Entry>();

  constructor(options: LiveBoardOptions = {}) {
    this.windowMs = options.windowMs ?? LIVE_WINDOW_MS;
    this.maxVisitors = options.maxVisitors ?? 50_000;
    if (!(this.windowMs > 0) || !Number.isSafeInteger(this.maxVisitors) || this.maxVisitors < 1) {
      throw new RangeError('windowMs must be positive and maxVisitors a positive integer');
    }
  }

  get size(): number {
    return this.visitors.size;
  }

  /**
   * Records a score received at `seenAt`. A score older than the visitor's latest only counts as
   * an update; one whose event time is outside the window (a replay, or a clock far ahead) is
   * not recorded.
   */
  add(score: Score, seenAt: number): void {
    if (!this.isLive(score.at, seenAt)) return;
    const previous = this.visitors.get(score.visitor);
    if (previous !== undefined && previous.score.at > score.at) {
      previous.updates++;
      return;
    }
    this.visitors.delete(score.visitor);
    this.visitors.set(score.visitor, {
      score,
      seenAt: Math.max(seenAt, previous?.seenAt ?? seenAt),
      updates: (previous?.updates ?? 0) + 1,
    });
    if (this.visitors.size > this.maxVisitors) {
      const oldest = this.visitors.keys().next();
      if (oldest.done !== true) this.visitors.delete(oldest.value);
    }
  }

  /** Drops visitors whose latest scored event is not within the window around `now`. */
  prune(now: number): void {
    for (const [visitor, entry] of this.visitors) {
      if (!this.isLive(entry.score.at, now)) this.visitors.delete(visitor);
    }
  }

  /**
   * Event time within the window before `now`; up to one window ahead is allowed too, for
   * device clocks slightly fast (the collector corrects skew, but not perfectly).
   */
  private isLive(at: number, now: number): boolean {
    return at > now - this.windowMs && at <= now + this.windowMs;
  }

  summary(now: number): LiveSummary {
    this.prune(now);
    const sessions = new Set<string>();
    let sum = 0;
    for (const entry of this.visitors.values()) {
      sessions.add(entry.score.sessionId);
      sum += entry.score.propensity;
    }
    const n = this.visitors.size;
    return {
      liveVisitors: n,
      liveSessions: sessions.size,
      averagePropensity: n === 0 ? null : sum / n,
    };
  }

  /** The `limit` live visitors with the highest propensity (ties: the most recent first). */
  top(now: number, limit: number): LiveSession[] {
    this.prune(now);
    const entries = [...this.visitors.values()];
    entries.sort(
      (a, b) =>
        b.score.propensity - a.score.propensity ||
        b.seenAt - a.seenAt ||
        (a.score.visitor < b.score.visitor ? -1 : 1),
    );
    return entries.slice(0, limit).map(({ score, seenAt, updates }) => ({
      visitor: score.visitor,
      sessionId: score.sessionId,
      propensity: score.propensity,
      markovProbability: score.markovProbability,
      nextPages: score.nextPages.map((p) => ({ pageType: p.pageType, probability: p.probability })),
      modelVersion: score.modelVersion,
      at: score.at,
      seenAt,
      updates,
    }));
  }
}
