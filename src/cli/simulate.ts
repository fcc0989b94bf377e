import { InvalidArgumentError, Option, type Command } from 'commander';
import { createLogger, systemClock, type Clock, type Logger } from '../core/index.js';
import {
  HISTORICAL_START,
  SIMULATION_DEFAULTS,
  DEFAULT_FAULT_RATES,
  createHttpSink,
  createNdjsonSink,
  runSimulation,
  teeSinks,
  type EventSink,
  type HttpSink,
  type Pacing,
  type RunSummary,
  type SimulationOptions,
  type Timing,
} from '../simulator/index.js';

/** Seams for tests; the defaults are the real things. */
export interface SimulateDeps {
  readonly clock?: Clock;
  readonly fetch?: typeof fetch;
  /** Where the JSON summary goes (default stdout, or stderr when events go to stdout). */
  readonly print?: (text: string, toStderr: boolean) => void;
  /** For HTTP warnings (default: warn level to stderr). */
  readonly logger?: Logger;
}

interface SimulateFlags {
  events: number;
  seed: number;
  sites: number;
  out?: string;
  truth?: string;
  crm?: string;
  collector?: string;
  writeKey?: string[];
  batchSize: number;
  rate?: number;
  concurrency: number;
  acks?: string;
  timing?: Timing;
  start?: number;
  days?: number;
  outOfOrderRate: number;
  lateRate: number;
  duplicateRate: number;
  malformedRate: number;
  botRate: number;
  clockSkewRate: number;
  maxShuffleMinutes: number;
  lateMaxMinutes: number;
}

function integer(min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}.`);
    }
    return n;
  };
}

function decimal(min: number, max: number, what = 'a number'): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
      throw new InvalidArgumentError(`expected ${what} from ${min} to ${max}.`);
    }
    return n;
  };
}

const probability = (max = 1): ((value: string) => number) => decimal(0, max, 'a probability');

function isoTime(value: string): number {
  const ms = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(ms)) {
    throw new InvalidArgumentError('expected an ISO 8601 time such as 2025-01-06T00:00:00Z.');
  }
  return ms;
}

function collectorUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError('expected an http(s) URL such as http://localhost:8080.');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidArgumentError('expected an http(s) URL such as http://localhost:8080.');
  }
  return value.replace(/\/+$/, '');
}

function writeKeys(value: string): string[] {
  const keys = value.split(',').map((k) => k.trim());
  if (keys.some((k) => k === '' || /\s/.test(k))) {
    throw new InvalidArgumentError(
      'expected a key, or comma-separated keys (one per site), without spaces.',
    );
  }
  return keys;
}

/** `pathcast simulate`: seeded traffic with known ground truth, to a file and/or a collector. */
export function registerSimulateCommand(program: Command, deps: SimulateDeps = {}): Command {
  const command = program
    .command('simulate')
    .description(
      'generate seeded, realistic Segment traffic with known ground truth: to an NDJSON file ' +
        '(--out), a collector (--collector), or both; optionally the truth, CRM and acks files',
    )
    .option(
      '--events <n>',
      'distinct events (live: delivered); duplicates and malformed records come on top',
      integer(1, 1e9),
      SIMULATION_DEFAULTS.events,
    )
    .option(
      '--seed <n>',
      'random seed; the same seed gives the same output',
      integer(0, Number.MAX_SAFE_INTEGER),
      SIMULATION_DEFAULTS.seed,
    )
    .option(
      '--sites <n>',
      'number of sites, site-1..site-N',
      integer(1, 1000),
      SIMULATION_DEFAULTS.sites,
    )
    .option('--out <file>', "write events as NDJSON ('-' for stdout)")
    .option('--truth <file>', 'write the ground truth (JSON)')
    .option('--crm <file>', 'write CRM profiles of the simulated customers (CSV with header)')
    .option('--collector <url>', 'send to a collector: POST <url>/v1/batch', collectorUrl)
    .option('--write-key <key[,key...]>', 'write key for all sites, or one per site', writeKeys)
    .option('--batch-size <n>', 'events per HTTP batch', integer(1, 2500), 20)
    .option(
      '--rate <n>',
      'events per second (live: the traffic rate, default 100; historical: a send pace, default none)',
      decimal(0.001, 10_000_000),
    )
    .option('--concurrency <n>', 'HTTP requests in flight', integer(1, 1024), 4)
    .option('--acks <file>', 'write messageIds the collector acknowledged (2xx) as NDJSON')
    .addOption(
      new Option(
        '--timing <mode>',
        'historical: times from --start, reproducible; live: times are now (default with --collector)',
      ).choices(['historical', 'live']),
    )
    .option(
      '--start <iso>',
      `historical start time (default ${new Date(HISTORICAL_START).toISOString()})`,
      isoTime,
    )
    .option(
      '--days <n>',
      `historical: days the traffic spans (default ${SIMULATION_DEFAULTS.days})`,
      decimal(0.001, 3650),
    )
    .option(
      '--out-of-order-rate <p>',
      'share of events delivered up to --max-shuffle-minutes late',
      probability(),
      DEFAULT_FAULT_RATES.outOfOrder,
    )
    .option(
      '--late-rate <p>',
      'share of events delivered hours late',
      probability(),
      DEFAULT_FAULT_RATES.late,
    )
    .option(
      '--duplicate-rate <p>',
      'share of events sent twice (same messageId)',
      probability(),
      DEFAULT_FAULT_RATES.duplicate,
    )
    .option(
      '--malformed-rate <p>',
      'malformed records per event (bad JSON, wrong types, no ids, oversize)',
      probability(),
      DEFAULT_FAULT_RATES.malformed,
    )
    .option(
      '--bot-rate <p>',
      'share of visitors that are bots',
      probability(0.99),
      DEFAULT_FAULT_RATES.bot,
    )
    .option(
      '--clock-skew-rate <p>',
      'share of visitors whose device clock is off (+2 d, -30 d, ...)',
      probability(),
      DEFAULT_FAULT_RATES.clockSkew,
    )
    .option(
      '--max-shuffle-minutes <n>',
      'largest out-of-order delay',
      decimal(0.1, 24 * 60),
      SIMULATION_DEFAULTS.maxShuffleMinutes,
    )
    .option(
      '--late-max-minutes <n>',
      'largest late delay (late events arrive 1/6 of it to all of it late)',
      decimal(1, 7 * 24 * 60),
      SIMULATION_DEFAULTS.lateMaxMinutes,
    );

  command.action(async (flags: SimulateFlags) => {
    const fromCli = (name: string): boolean => command.getOptionValueSource(name) === 'cli';
    const usage = (message: string): never =>
      command.error(`error: ${message}`, { exitCode: 2, code: 'pathcast.usage' });

    if (flags.out === undefined && flags.collector === undefined) {
      usage('nothing to send to: give --out FILE (or -) and/or --collector URL');
    }
    if (flags.collector === undefined) {
      for (const name of ['acks', 'batchSize', 'concurrency'] as const) {
        if (fromCli(name))
          usage(`--${name === 'batchSize' ? 'batch-size' : name} needs --collector`);
      }
    } else if (flags.writeKey === undefined) {
      usage('--collector needs --write-key (the site write key the collector knows)');
    }
    if (
      flags.writeKey !== undefined &&
      flags.writeKey.length !== 1 &&
      flags.writeKey.length !== flags.sites
    ) {
      usage(
        `--write-key: give one key, or ${flags.sites} (one per site); got ${flags.writeKey.length}`,
      );
    }
    const timing: Timing = flags.timing ?? (flags.collector === undefined ? 'historical' : 'live');
    if (timing === 'live' && flags.start !== undefined)
      usage('--start applies to --timing historical (live starts now)');
    if (timing === 'live' && flags.days !== undefined)
      usage('--days applies to --timing historical (live runs at --rate)');
    const stdoutEvents = flags.out === '-';
    if (stdoutEvents && [flags.truth, flags.crm, flags.acks].includes('-'))
      usage("only --out may be '-'");

    const options: SimulationOptions = {
      events: flags.events,
      seed: flags.seed,
      sites: flags.sites,
      timing,
      ...(flags.writeKey === undefined ? {} : { writeKeys: flags.writeKey }),
      ...(flags.start === undefined ? {} : { start: flags.start }),
      ...(flags.days === undefined ? {} : { days: flags.days }),
      ...(timing === 'live' && flags.rate !== undefined ? { rate: flags.rate } : {}),
      faults: {
        outOfOrder: flags.outOfOrderRate,
        late: flags.lateRate,
        duplicate: flags.duplicateRate,
        malformed: flags.malformedRate,
        bot: flags.botRate,
        clockSkew: flags.clockSkewRate,
      },
      maxShuffleMinutes: flags.maxShuffleMinutes,
      lateMaxMinutes: flags.lateMaxMinutes,
      recordSessions: flags.truth !== undefined,
    };
    const pacing: Pacing =
      timing === 'live'
        ? { mode: 'send-at' }
        : flags.rate === undefined
          ? { mode: 'none' }
          : { mode: 'rate', perSecond: flags.rate };

    const print =
      deps.print ??
      ((text: string, toStderr: boolean) => (toStderr ? console.error(text) : console.log(text)));
    const sinks: EventSink[] = [];
    if (flags.out !== undefined)
      sinks.push(createNdjsonSink(stdoutEvents ? process.stdout : flags.out));
    let http: HttpSink | undefined;
    if (flags.collector !== undefined) {
      http = createHttpSink({
        url: flags.collector,
        batchSize: flags.batchSize,
        concurrency: flags.concurrency,
        ...(flags.acks === undefined ? {} : { acksFile: flags.acks }),
        ...(deps.fetch === undefined ? {} : { fetch: deps.fetch }),
        logger:
          deps.logger ?? createLogger({ level: 'warn', name: 'pathcast-simulate', destination: 2 }),
      });
      sinks.push(http);
    }
    const sink = sinks.length === 1 && sinks[0] !== undefined ? sinks[0] : teeSinks(...sinks);

    const abort = new AbortController();
    const stop = (): void => abort.abort(new Error('interrupted'));
    process.once('SIGINT', stop);
    let summary: RunSummary;
    try {
      summary = await runSimulation(options, sink, {
        pacing,
        signal: abort.signal,
        clock: deps.clock ?? systemClock,
        ...(flags.truth === undefined ? {} : { truthFile: flags.truth }),
        ...(flags.crm === undefined ? {} : { crmFile: flags.crm }),
      });
    } finally {
      process.off('SIGINT', stop);
    }
    const seconds = summary.elapsedMs / 1000;
    print(
      JSON.stringify({
        completed: summary.completed,
        timing,
        seed: summary.config.seed,
        events: summary.events,
        records: summary.records,
        duplicates: summary.duplicates,
        malformed: summary.malformed,
        sessions: summary.sessions,
        conversions: summary.conversions,
        crmProfiles: summary.crmProfiles,
        seconds: Math.round(seconds * 1000) / 1000,
        recordsPerSecond: seconds > 0 ? Math.round(summary.records / seconds) : null,
        ...(http === undefined ? {} : { http: http.stats() }),
      }),
      stdoutEvents,
    );
    const stats = http?.stats();
    if (stats !== undefined && stats.failed + stats.rejected > 0) {
      throw new Error(
        `the collector did not take ${stats.failed + stats.rejected} well-formed records ` +
          `(${stats.failed} failed after retries, ${stats.rejected} refused); see the log above`,
      );
    }
  });
  return command;
}
