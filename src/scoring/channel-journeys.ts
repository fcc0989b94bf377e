import { LRUCache } from 'lru-cache';
import type { SessionSummary } from '../core/index.js';
import type { MarkovChain } from '../markov-online/index.js';

export interface ChannelJourneysConfig {
  /** Visitors whose open journey is remembered (LRU). */
  readonly maxVisitors: number;
  /** A visitor back after this long (event time) starts a new journey; the old one ends null. */
  readonly timeoutMs: number;
  /** Channels kept per journey; older touches are forgotten beyond it. */
  readonly maxLength: number;
}

interface Journey {
  readonly channels: string[];
  lastAt: number;
}

const NO_CHANNEL = '(none)';

/**
 * Cross-session channel journeys for attribution: each visitor's sequence of session entry
 * channels, counted into a Markov chain when it ends. A journey ends converted when a session
 * converts (then the visitor starts afresh), and null when the visitor has not come back within
 * `timeoutMs`, which is only known when they do come back or when the LRU evicts them.
 * NOTE: eviction counts the journey as null even if the visitor would have returned. That is the
 * price of bounded memory; size `maxVisitors` to the visitors active within `timeoutMs`. Journeys
 * still open are in no count (neither converted nor null yet).
 */
export class ChannelJourneys {
  private readonly chain: MarkovChain;
  private readonly config: ChannelJourneysConfig;
  private readonly journeys: LRUCache<string, Journey>;

  constructor(chain: MarkovChain, config: ChannelJourneysConfig) {
    this.chain = chain;
    this.config = config;
    this.journeys = new LRUCache<string, Journey>({
      max: config.maxVisitors,
      dispose: (journey, _key, reason) => {
        // Only capacity evictions end a journey here; deletes are journeys already counted.
        if (reason === 'evict') this.endNull(journey);
      },
    });
  }

  /** Open journeys remembered. */
  get size(): number {
    return this.journeys.size;
  }

  /** Adds a closed session's entry channel to its visitor's journey. */
  add(session: SessionSummary): void {
    const key = `${session.site}\u0000${session.visitor}`;
    let journey = this.journeys.get(key);
    if (journey !== undefined && session.startedAt - journey.lastAt > this.config.timeoutMs) {
      this.journeys.delete(key);
      this.endNull(journey);
      journey = undefined;
    }
    if (journey === undefined) {
      journey = { channels: [], lastAt: session.endedAt };
      this.journeys.set(key, journey);
    }
    if (journey.channels.length >= this.config.maxLength) journey.channels.shift();
    journey.channels.push(session.entryChannel === '' ? NO_CHANNEL : session.entryChannel);
    if (session.endedAt > journey.lastAt) journey.lastAt = session.endedAt;
    if (session.converted) {
      this.journeys.delete(key);
      this.chain.addPath(journey.channels, {
        conversions: 1,
        value: session.revenue > 0 && Number.isFinite(session.revenue) ? session.revenue : 0,
        time: journey.lastAt,
      });
    }
  }

  private endNull(journey: Journey): void {
    this.chain.addPath(journey.channels, { conversions: 0, nulls: 1, time: journey.lastAt });
  }
}
