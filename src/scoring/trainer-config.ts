import { ConfigError } from '../core/index.js';
import {
  resolveMarkovChainConfig,
  type MarkovChainConfig,
  type MarkovChainOptions,
} from '../markov-online/index.js';
import { resolveFtrlParams, type FtrlOptions, type FtrlParams } from './ftrl.js';
import type { PendingConfig } from './pending-prefixes.js';
import type { ChannelJourneysConfig } from './channel-journeys.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export interface SamplingOptions {
  /** Probability that an update is a training candidate; default 1. */
  readonly sampleRate?: number;
  /** Prefixes kept per open session (reservoir); default 16. */
  readonly maxPrefixesPerSession?: number;
  /** Open sessions with pending prefixes; default 100,000. */
  readonly maxPendingSessions?: number;
  /** Pending prefixes in all (~230 bytes each); default 250,000. */
  readonly maxPendingPrefixes?: number;
  /** Pending sessions opened this long (event time) before the newest update are dropped; default 25 h. */
  readonly staleAfterMs?: number;
}

export interface ChannelJourneyOptions extends MarkovChainOptions {
  /** Visitors with an open journey remembered (LRU); default 100,000. */
  readonly maxVisitors?: number;
  /** Gap after which a returning visitor starts a new journey; default 30 days. */
  readonly timeoutMs?: number;
  /** Channels kept per journey; default 32. */
  readonly maxLength?: number;
}

export interface TrainerOptions {
  /** Model name, the part of modelVersion before '@'; default 'ftrl'. */
  readonly name?: string;
  readonly ftrl?: FtrlOptions;
  readonly sampling?: SamplingOptions;
  /** Train on (and count in the chains) sessions flagged as bots; default false. */
  readonly includeBots?: boolean;
  /**
   * Learn from sessions closed only because the process shut down; default false: such a
   * session may go on after the restart, so its label and path are not final.
   */
  readonly learnFromShutdown?: boolean;
  /** Recent progressive-validation pairs metrics and calibration use; default 100,000. */
  readonly validationWindow?: number;
  /** Pairs needed before the isotonic calibrator replaces the identity; default 2,000. */
  readonly calibrationMinExamples?: number;
  /** Reliability bins (deciles by default); default 10. */
  readonly reliabilityBins?: number;
  /** How often start() publishes a snapshot; default 5 s. */
  readonly publishIntervalMs?: number;
  /** In-session page-type chain; default order 1. */
  readonly pageFlow?: MarkovChainOptions;
  readonly channelJourney?: ChannelJourneyOptions;
  /** Seed of the sampling decisions, so replays sample the same prefixes; default 1. */
  readonly seed?: number;
}

export interface TrainerConfig {
  readonly name: string;
  readonly ftrl: FtrlParams;
  readonly sampling: PendingConfig;
  readonly includeBots: boolean;
  readonly learnFromShutdown: boolean;
  readonly validationWindow: number;
  readonly calibrationMinExamples: number;
  readonly reliabilityBins: number;
  readonly publishIntervalMs: number;
  readonly pageFlow: MarkovChainConfig;
  readonly channelChain: MarkovChainConfig;
  readonly journeys: ChannelJourneysConfig;
  readonly seed: number;
}

/** Options resolved and checked once; a bad value is a configuration error naming it. */
export function resolveTrainerConfig(options: TrainerOptions = {}): TrainerConfig {
  const s = options.sampling ?? {};
  const j = options.channelJourney ?? {};
  const name = options.name ?? 'ftrl';
  if (name === '' || name.length > 100) {
    throw new ConfigError('trainer.name', 'must be 1 to 100 characters');
  }
  const sampleRate = s.sampleRate ?? 1;
  if (!(sampleRate > 0 && sampleRate <= 1)) {
    throw new ConfigError('trainer.sampling.sampleRate', `must be in (0, 1], got ${sampleRate}`);
  }
  return {
    name,
    ftrl: resolveFtrlParams(options.ftrl),
    sampling: {
      sampleRate,
      maxPrefixesPerSession: positiveInt(
        'sampling.maxPrefixesPerSession',
        s.maxPrefixesPerSession,
        16,
      ),
      maxPendingSessions: positiveInt('sampling.maxPendingSessions', s.maxPendingSessions, 100_000),
      maxPendingPrefixes: positiveInt('sampling.maxPendingPrefixes', s.maxPendingPrefixes, 250_000),
      staleAfterMs: positive('sampling.staleAfterMs', s.staleAfterMs, 25 * HOUR),
    },
    includeBots: options.includeBots ?? false,
    learnFromShutdown: options.learnFromShutdown ?? false,
    validationWindow: positiveInt('validationWindow', options.validationWindow, 100_000),
    calibrationMinExamples: positiveInt(
      'calibrationMinExamples',
      options.calibrationMinExamples,
      2_000,
    ),
    reliabilityBins: positiveInt('reliabilityBins', options.reliabilityBins, 10),
    publishIntervalMs: positive('publishIntervalMs', options.publishIntervalMs, 5_000),
    pageFlow: resolveMarkovChainConfig(options.pageFlow),
    channelChain: resolveMarkovChainConfig(j),
    journeys: {
      maxVisitors: positiveInt('channelJourney.maxVisitors', j.maxVisitors, 100_000),
      timeoutMs: positive('channelJourney.timeoutMs', j.timeoutMs, 30 * DAY),
      maxLength: positiveInt('channelJourney.maxLength', j.maxLength, 32),
    },
    seed: options.seed ?? 1,
  };
}

function positiveInt(name: string, value: number | undefined, fallback: number): number {
  const resolved = value ?? fallback;
  if (!Number.isInteger(resolved) || resolved < 1) {
    throw new ConfigError(`trainer.${name}`, `must be a positive integer, got ${String(value)}`);
  }
  return resolved;
}

function positive(name: string, value: number | undefined, fallback: number): number {
  const resolved = value ?? fallback;
  if (!(resolved > 0 && Number.isFinite(resolved))) {
    throw new ConfigError(`trainer.${name}`, `must be a positive number, got ${String(value)}`);
  }
  return resolved;
}
