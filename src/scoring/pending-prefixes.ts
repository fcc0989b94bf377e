import { counter, gauge, type SessionSummary } from '../core/index.js';
import type { Random } from './random.js';

const droppedTotal = counter(
  'pathcast_trainer_pending_dropped_total',
  'Open sessions whose sampled prefixes were not kept for training, by reason (full: the pending store was at its cap when the session came; stale: no close arrived within the staleness bound).',
  ['reason'],
);
const pendingSessionsGauge = gauge(
  'pathcast_trainer_pending_sessions',
  'Open sessions with sampled prefixes waiting for their close (and label).',
);
const pendingPrefixesGauge = gauge(
  'pathcast_trainer_pending_prefixes',
  'Sampled session prefixes waiting for their session to close.',
);

/** One sampled prefix: its features, and what the session had done by then. */
export interface Prefix {
  readonly indices: Uint32Array;
  /** Conversions in the session up to and including the prefix's event. */
  readonly conversions: number;
  /** Events in the session up to and including the prefix's event (identifies the prefix). */
  readonly eventCount: number;
}

export interface PendingSession {
  readonly startedAt: number;
  /** Prefixes offered to the reservoir (after the Bernoulli draw). */
  seen: number;
  readonly prefixes: Prefix[];
}

export interface PendingConfig {
  readonly sampleRate: number;
  readonly maxPrefixesPerSession: number;
  readonly maxPendingSessions: number;
  readonly maxPendingPrefixes: number;
  readonly staleAfterMs: number;
}

/**
 * Sampled prefixes of open sessions, kept until the session closes and labels them.
 *
 * Sampling: each update is a candidate with probability `sampleRate` (Bernoulli), and a session
 * keeps a uniform sample of at most `maxPrefixesPerSession` of its candidates (reservoir,
 * Vitter's algorithm R). Human sessions rarely exceed the cap, so the training distribution
 * stays close to the distribution of updates the scorer sees; only very long sessions are
 * under-represented.
 *
 * Memory: at most `maxPendingSessions` sessions and `maxPendingPrefixes` prefixes (about
 * 4 bytes a feature + ~100 bytes of overhead each: ~230 bytes for a 30-feature prefix).
 * NOTE: when full, a *new* session is refused (counted as dropped, reason `full`) instead of the
 * oldest being evicted. Sessions close in roughly the order they opened, so evicting the oldest
 * under sustained overload would evict exactly the sessions about to be labelled and nothing
 * would ever train; refusing newcomers keeps an outcome-independent sample that does complete.
 * Sessions whose close never comes (lost on a rebalance, merged) must not hold their place
 * forever: an entry opened more than `staleAfterMs` (event time) before the newest update is
 * evicted (reason `stale`); the default 25 h exceeds the sessionizer's 24 h maximum length.
 */
export class PendingPrefixes {
  private readonly config: PendingConfig;
  private readonly random: Random;
  private readonly open = new Map<string, PendingSession>();
  private prefixCount = 0;
  private latest = Number.NEGATIVE_INFINITY;

  constructor(config: PendingConfig, random: Random) {
    this.config = config;
    this.random = random;
  }

  get sessions(): number {
    return this.open.size;
  }

  get prefixes(): number {
    return this.prefixCount;
  }

  /**
   * Decides whether the update that brought `session` to its current state is sampled, and
   * where its prefix goes: a slot to pass to put(), or -1 (nothing to store, skip the features).
   */
  reserve(session: SessionSummary): number {
    if (session.endedAt > this.latest) this.latest = session.endedAt;
    if (this.config.sampleRate < 1 && this.random() >= this.config.sampleRate) return -1;
    let entry = this.open.get(session.id);
    if (entry === undefined) {
      this.evictStale();
      if (
        this.open.size >= this.config.maxPendingSessions ||
        this.prefixCount >= this.config.maxPendingPrefixes
      ) {
        droppedTotal.inc({ reason: 'full' });
        return -1;
      }
      entry = { startedAt: session.startedAt, seen: 0, prefixes: [] };
      this.open.set(session.id, entry);
      pendingSessionsGauge.set(this.open.size);
    }
    entry.seen++;
    const kept = entry.prefixes.length;
    if (
      kept < this.config.maxPrefixesPerSession &&
      this.prefixCount < this.config.maxPendingPrefixes
    ) {
      return kept;
    }
    // Reservoir: the seen-th candidate replaces a random kept one with probability kept / seen.
    if (kept === 0) return -1;
    const slot = Math.floor(this.random() * entry.seen);
    return slot < kept ? slot : -1;
  }

  /** Stores the prefix for a slot reserve() gave. */
  put(sessionId: string, slot: number, prefix: Prefix): void {
    const entry = this.open.get(sessionId);
    if (entry === undefined || slot < 0 || slot > entry.prefixes.length) {
      throw new RangeError(`no reserved slot ${slot} for session ${sessionId}`);
    }
    if (slot === entry.prefixes.length) {
      entry.prefixes.push(prefix);
      this.prefixCount++;
      pendingPrefixesGauge.set(this.prefixCount);
    } else {
      entry.prefixes[slot] = prefix;
    }
  }

  /** Removes and returns a session's pending prefixes (undefined if none were kept). */
  take(sessionId: string): PendingSession | undefined {
    const entry = this.open.get(sessionId);
    if (entry === undefined) return undefined;
    this.remove(sessionId, entry);
    return entry;
  }

  private evictStale(): void {
    for (const [id, entry] of this.open) {
      if (entry.startedAt >= this.latest - this.config.staleAfterMs) return;
      this.remove(id, entry);
      droppedTotal.inc({ reason: 'stale' });
    }
  }

  private remove(id: string, entry: PendingSession): void {
    this.open.delete(id);
    this.prefixCount -= entry.prefixes.length;
    pendingSessionsGauge.set(this.open.size);
    pendingPrefixesGauge.set(this.prefixCount);
  }
}
