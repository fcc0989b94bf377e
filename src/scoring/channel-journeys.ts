import { LRUCache } from 'lru-cache';
import type { MarkovChain } from '../markov-online/index.js';
import type { CountedSession } from './session-chains.js';

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
 * converts (then the visitor starts afresh), and null once the visitor has not come back within
 * `timeoutMs` of event time: found when they do come back, or by the sweep each added session
 * makes over the least recently active journeys (event time moves on with the sessions' ends).
 * Without that sweep a journey would only end null on the visitor's return or on eviction, and
 * the chain would hold nearly every converting journey but few null ones: its removal effects
 * would drift towards the converting-only ones.
 * NOTE: eviction counts the journey as null even if the visitor would have returned. That is the
 * price of bounded memory; size `maxVisitors` to the visitors active within `timeoutMs`. Journeys
 * still open are in no count (neither converted nor null yet) until drain() at the end of a
 * finite input.
 */
export class ChannelJourneys {
  private readonly chain: MarkovChain;
  private readonly config: ChannelJourneysConfig;
  private readonly journeys: LRUCache<string, Journey>;
  /** Newest session end seen: the event time journeys time out against. */
  private latest = Number.NEGATIVE_INFINITY;

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
  add(session: CountedSession): void {
    if (session.endedAt > this.latest) this.latest = session.endedAt;
    this.expire();
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

  /**
   * End of a finite input (a replay, a batch): every open journey ends null, as if its visitor
   * never came back. Not for shutdown, where a journey may still go on after the restart.
   */
  drain(): number {
    const open = [...this.journeys.values()];
    this.journeys.clear();
    for (const journey of open) this.endNull(journey);
    return open.length;
  }

  /**
   * Ends, as null, the least recently active journeys idle for longer than the timeout. The LRU
   * order is the order of the visitors' last closed sessions, which is nearly that of `lastAt`:
   * the sweep stops at the first journey still within the timeout, so each call costs O(1) plus
   * the journeys it ends, and a journey out of order ends a little later, never too soon.
   */
  private expire(): void {
    const cutoff = this.latest - this.config.timeoutMs;
    for (;;) {
      const key = this.journeys.rkeys().next();
      if (key.done === true) return;
      const journey = this.journeys.peek(key.value);
      if (journey === undefined || journey.lastAt >= cutoff) return;
      this.journeys.delete(key.value);
      this.endNull(journey);
    }
  }

  private endNull(journey: Journey): void {
    this.chain.addPath(journey.channels, { conversions: 0, nulls: 1, time: journey.lastAt });
  }
}
