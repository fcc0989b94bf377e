import { ok, type Result, type SessionSummary } from '../core/index.js';
import {
  MarkovChain,
  type MarkovChainConfig,
  type MarkovDelta,
  type MarkovSnapshot,
  type MergeErrorCode,
} from '../markov-online/index.js';
import { ChannelJourneys, type ChannelJourneysConfig } from './channel-journeys.js';

export interface MarkovDeltas {
  readonly pageFlow: MarkovDelta;
  readonly channels: MarkovDelta;
}

/**
 * What counting a closed session reads of it: its page path and outcome (the page flow) and its
 * visitor, times and entry channel (the channel journey). A SessionSummary is one; the trainer
 * role counts the ones the scoring processes ship (model-input-codec.ts).
 */
export type CountedSession = Pick<
  SessionSummary,
  | 'id'
  | 'site'
  | 'visitor'
  | 'startedAt'
  | 'endedAt'
  | 'path'
  | 'entryChannel'
  | 'converted'
  | 'revenue'
>;

export interface SolvedChains {
  readonly pageFlow: MarkovSnapshot;
  readonly channels: MarkovSnapshot;
}

export interface SessionChainsConfig {
  readonly pageFlow: MarkovChainConfig;
  readonly channelChain: MarkovChainConfig;
  readonly journeys: ChannelJourneysConfig;
}

/**
 * The one place where a closed session becomes Markov counts: its page types as an in-session
 * path (start -> pages -> conversion or null) and its entry channel as the next touch of the
 * visitor's cross-session journey. Counts are additive, so instances exchange deltas.
 */
export class SessionChains {
  readonly pageFlow: MarkovChain;
  readonly channels: MarkovChain;
  private readonly journeys: ChannelJourneys;

  constructor(config: SessionChainsConfig) {
    this.pageFlow = new MarkovChain(chainOptions(config.pageFlow));
    this.channels = new MarkovChain(chainOptions(config.channelChain));
    this.journeys = new ChannelJourneys(this.channels, config.journeys);
  }

  /** Open channel journeys remembered. */
  get openJourneys(): number {
    return this.journeys.size;
  }

  add(session: CountedSession): void {
    // A session without pageviews (only track or identify calls) has no page flow.
    if (session.path.length > 0) {
      this.pageFlow.addPath(session.path, {
        conversions: session.converted ? 1 : 0,
        nulls: session.converted ? 0 : 1,
        value:
          session.converted && session.revenue > 0 && Number.isFinite(session.revenue)
            ? session.revenue
            : 0,
        time: session.endedAt,
      });
    }
    this.journeys.add(session);
  }

  /** End of a finite input: open channel journeys end null (ChannelJourneys.drain). */
  drain(): number {
    return this.journeys.drain();
  }

  /** Counts added here since the last export (each count is exported once). */
  exportDeltas(): MarkovDeltas {
    return { pageFlow: this.pageFlow.exportDelta(), channels: this.channels.exportDelta() };
  }

  /** All counts, merged ones included: what a snapshot carries. */
  exportCounts(): MarkovDeltas {
    return { pageFlow: this.pageFlow.exportCounts(), channels: this.channels.exportCounts() };
  }

  /** Adds another instance's counts. Stops at the first delta a chain refuses. */
  mergeDeltas(deltas: Partial<MarkovDeltas>): Result<void, MergeErrorCode> {
    if (deltas.pageFlow !== undefined) {
      const merged = this.pageFlow.mergeDelta(deltas.pageFlow);
      if (!merged.ok) return merged;
    }
    if (deltas.channels !== undefined) {
      const merged = this.channels.mergeDelta(deltas.channels);
      if (!merged.ok) return merged;
    }
    return ok(undefined);
  }

  /** Absorption probabilities of both chains (O(edges) each; on a timer, never per event). */
  solve(): SolvedChains {
    return { pageFlow: this.pageFlow.solve(), channels: this.channels.solve() };
  }
}

function chainOptions(config: MarkovChainConfig): {
  order: number;
  collapseRepeats: boolean;
  halfLifeMs?: number;
} {
  return {
    order: config.order,
    collapseRepeats: config.collapseRepeats,
    ...(config.halfLifeMs === null ? {} : { halfLifeMs: config.halfLifeMs }),
  };
}
