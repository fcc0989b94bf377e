import { ConfigError, systemClock, type Clock } from '../core/index.js';

/**
 * `historical`: times run from `start`, events spread over `days`; output is a pure function of
 * the options (files, tests, backfills). `live`: times run from the wall clock at `rate` events
 * a second, for a collector or Kafka that should see traffic as it happens.
 */
export type Timing = 'historical' | 'live';

/** Probabilities of each injected fault (0 turns it off). */
export interface FaultRates {
  /** Per event: delivered up to `maxShuffleMinutes` late, so after later events of its visitor. */
  readonly outOfOrder?: number;
  /** Per event: delivered between 1/6 and all of `lateMaxMinutes` after it happened. */
  readonly late?: number;
  /** Per event: the same messageId is sent a second time, 1 s to 2 min later (a client retry). */
  readonly duplicate?: number;
  /** Per event: an extra malformed record (bad JSON, wrong types, no ids, oversize) is sent. */
  readonly malformed?: number;
  /** Share of visitors that are bots (crawler user agents and paths). Below 1. */
  readonly bot?: number;
  /** Share of visitors whose device clock is off (+2 d, -30 d, +3 h or -45 min). */
  readonly clockSkew?: number;
}

export interface SimulationOptions {
  /**
   * Distinct events (duplicates and malformed records come on top). Default 10,000. Historical:
   * generated, and all delivered. Live: the run stops once this many were delivered; what is
   * still queued (later pages of open sessions, late records) is never sent, and the truth marks
   * those sessions truncated.
   */
  readonly events?: number;
  /** Any safe integer. Default 1. */
  readonly seed?: number;
  /** Number of sites, `site-1`..`site-N`, with unequal traffic. Default 3. */
  readonly sites?: number;
  /** Write key per site, or one key for all sites. Default `sim_wk_site-N`. */
  readonly writeKeys?: readonly string[];
  readonly timing?: Timing;
  /** Start of simulated time, ms. Historical default 2025-01-06T00:00Z; live default now. */
  readonly start?: number;
  /** Historical: days the events are spread over (returning visitors need days). Default 14. */
  readonly days?: number;
  /** Live: average events per second. Default 100. */
  readonly rate?: number;
  readonly faults?: FaultRates;
  /** Largest out-of-order delay, minutes. Default 10. */
  readonly maxShuffleMinutes?: number;
  /** Largest late delay, minutes. Default 360. */
  readonly lateMaxMinutes?: number;
  /** Keep every session's truth (memory grows with the run). Default true. */
  readonly recordSessions?: boolean;
}

export interface ResolvedFaultRates {
  readonly outOfOrder: number;
  readonly late: number;
  readonly duplicate: number;
  readonly malformed: number;
  readonly bot: number;
  readonly clockSkew: number;
}

export interface SimulationConfig {
  readonly events: number;
  readonly seed: number;
  readonly sites: number;
  readonly writeKeys: readonly string[];
  readonly timing: Timing;
  readonly start: number;
  readonly days: number;
  readonly rate: number;
  readonly faults: ResolvedFaultRates;
  readonly maxShuffleMinutes: number;
  readonly lateMaxMinutes: number;
  readonly recordSessions: boolean;
}

export const HISTORICAL_START = Date.UTC(2025, 0, 6);

export const DEFAULT_FAULT_RATES: ResolvedFaultRates = {
  outOfOrder: 0.01,
  late: 0.002,
  duplicate: 0.005,
  malformed: 0.001,
  bot: 0.01,
  clockSkew: 0.01,
};

export const SIMULATION_DEFAULTS = {
  events: 10_000,
  seed: 1,
  sites: 3,
  timing: 'historical' as Timing,
  days: 14,
  rate: 100,
  maxShuffleMinutes: 10,
  lateMaxMinutes: 360,
} as const;

export function defaultWriteKey(site: number): string {
  return `sim_wk_site-${site}`;
}

function checkNumber(
  name: string,
  value: number,
  min: number,
  max: number,
  integer: boolean,
): number {
  if (
    !Number.isFinite(value) ||
    value < min ||
    value > max ||
    (integer && !Number.isInteger(value))
  ) {
    throw new ConfigError(
      name,
      `expected ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, got ${value}`,
    );
  }
  return value;
}

function rate(name: string, value: number | undefined, fallback: number, max = 1): number {
  return checkNumber(`faults.${name}`, value ?? fallback, 0, max, false);
}

/** Options resolved once: defaults filled, every value checked, errors naming the option. */
export function resolveSimulationConfig(
  options: SimulationOptions = {},
  clock: Clock = systemClock,
): SimulationConfig {
  const timing = options.timing ?? SIMULATION_DEFAULTS.timing;
  if (timing !== 'historical' && timing !== 'live') {
    throw new ConfigError('timing', `expected "historical" or "live", got ${String(timing)}`);
  }
  const sites = checkNumber('sites', options.sites ?? SIMULATION_DEFAULTS.sites, 1, 1000, true);
  const writeKeys =
    options.writeKeys ?? Array.from({ length: sites }, (_, i) => defaultWriteKey(i + 1));
  if (writeKeys.length !== 1 && writeKeys.length !== sites) {
    throw new ConfigError(
      'writeKeys',
      `expected 1 key or one per site (${sites}), got ${writeKeys.length}`,
    );
  }
  for (const key of writeKeys) {
    if (key.length === 0 || /\s/.test(key))
      throw new ConfigError('writeKeys', 'keys must be non-empty without spaces');
  }
  const faults = options.faults ?? {};
  const start = options.start ?? (timing === 'live' ? clock.now() : HISTORICAL_START);
  return {
    events: checkNumber('events', options.events ?? SIMULATION_DEFAULTS.events, 1, 1e9, true),
    seed: checkNumber(
      'seed',
      options.seed ?? SIMULATION_DEFAULTS.seed,
      0,
      Number.MAX_SAFE_INTEGER,
      true,
    ),
    sites,
    writeKeys: Array.from(
      { length: sites },
      (_, i) => writeKeys[writeKeys.length === 1 ? 0 : i] ?? defaultWriteKey(i + 1),
    ),
    timing,
    start: checkNumber('start', start, Date.UTC(2000, 0, 1), Date.UTC(2200, 0, 1), true),
    days: checkNumber('days', options.days ?? SIMULATION_DEFAULTS.days, 0.001, 3650, false),
    rate: checkNumber('rate', options.rate ?? SIMULATION_DEFAULTS.rate, 0.001, 10_000_000, false),
    faults: {
      outOfOrder: rate('outOfOrder', faults.outOfOrder, DEFAULT_FAULT_RATES.outOfOrder),
      late: rate('late', faults.late, DEFAULT_FAULT_RATES.late),
      duplicate: rate('duplicate', faults.duplicate, DEFAULT_FAULT_RATES.duplicate),
      malformed: rate('malformed', faults.malformed, DEFAULT_FAULT_RATES.malformed),
      bot: rate('bot', faults.bot, DEFAULT_FAULT_RATES.bot, 0.99),
      clockSkew: rate('clockSkew', faults.clockSkew, DEFAULT_FAULT_RATES.clockSkew),
    },
    maxShuffleMinutes: checkNumber(
      'maxShuffleMinutes',
      options.maxShuffleMinutes ?? SIMULATION_DEFAULTS.maxShuffleMinutes,
      0.1,
      24 * 60,
      false,
    ),
    lateMaxMinutes: checkNumber(
      'lateMaxMinutes',
      options.lateMaxMinutes ?? SIMULATION_DEFAULTS.lateMaxMinutes,
      1,
      7 * 24 * 60,
      false,
    ),
    recordSessions: options.recordSessions ?? true,
  };
}

/** The same rates with every delivery fault off: the same traffic (bots included), sent cleanly. */
export function withoutDeliveryFaults(rates: ResolvedFaultRates): ResolvedFaultRates {
  return { outOfOrder: 0, late: 0, duplicate: 0, malformed: 0, bot: rates.bot, clockSkew: 0 };
}
