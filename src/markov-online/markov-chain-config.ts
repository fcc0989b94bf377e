import { ConfigError } from '../core/index.js';

export interface MarkovChainOptions {
  /** Markov order: how many of the latest items make a state, 1 to 3. Default 1. */
  readonly order?: number;
  /** Half-life of counts in event-time milliseconds; omit for no decay. */
  readonly halfLifeMs?: number;
  /** Collapse consecutive identical states, as ChannelAttribution does. Default true. */
  readonly collapseRepeats?: boolean;
}

export interface MarkovChainConfig {
  readonly order: number;
  readonly halfLifeMs: number | null;
  readonly collapseRepeats: boolean;
}

/** Options resolved and checked once; bad options are a configuration error. */
export function resolveMarkovChainConfig(options: MarkovChainOptions = {}): MarkovChainConfig {
  const order = options.order ?? 1;
  if (!Number.isInteger(order) || order < 1 || order > 3) {
    throw new ConfigError('markov.order', `must be 1, 2 or 3, got ${String(order)}`);
  }
  const halfLifeMs = options.halfLifeMs ?? null;
  if (halfLifeMs !== null && !(halfLifeMs > 0 && Number.isFinite(halfLifeMs))) {
    throw new ConfigError('markov.halfLifeMs', `must be a positive number, got ${halfLifeMs}`);
  }
  return { order, halfLifeMs, collapseRepeats: options.collapseRepeats ?? true };
}
