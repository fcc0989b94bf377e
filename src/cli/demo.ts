import { silentLogger, type Logger } from '../core/index.js';
import {
  createHttpSink,
  runSimulation,
  type EventSink,
  type SimulationOptions,
} from '../simulator/index.js';

/**
 * Passes records on until one is due after `until`, then stops the run through `stop`. The
 * simulator's traffic follows the time of day, so the event count alone cannot say where a
 * replay of the last hours ends; the clock does.
 */
function until(time: number, sink: EventSink, stop: AbortController): EventSink {
  return {
    write(record) {
      if (record.sendAt > time) {
        stop.abort();
        return undefined;
      }
      return sink.write(record);
    },
    close: () => sink.close(),
  };
}

/** What the demo's traffic looks like; small enough to start in seconds on a laptop. */
export interface DemoTrafficOptions {
  /** Hours of past traffic replayed at once, so sessions have closed and the models learnt. */
  readonly backfillHours: number;
  /** Most distinct events in the backfill; it also stops at the present, whichever is first. */
  readonly backfillEvents: number;
  /** Live events per second after the backfill (a medium-sized shop). */
  readonly liveRate: number;
  readonly seed: number;
}

export const DEMO_TRAFFIC: DemoTrafficOptions = {
  backfillHours: 6,
  backfillEvents: 50_000,
  liveRate: 25,
  seed: 7,
};

export interface DemoTraffic {
  /** Resolves when the traffic has stopped (after stop(), or on a failure, which is logged). */
  readonly done: Promise<void>;
  stop(): Promise<void>;
}

/**
 * Feeds the running collector at `url` with simulated visitors of the site owning `writeKey`:
 * first a fast replay of the last few hours (true past event times, corrected by the
 * collector from sentAt), then live traffic at a steady rate until stop().
 */
export function startDemoTraffic(
  url: string,
  writeKey: string,
  options: DemoTrafficOptions = DEMO_TRAFFIC,
  logger: Logger = silentLogger,
): DemoTraffic {
  const abort = new AbortController();
  const common: SimulationOptions = { sites: 1, writeKeys: [writeKey], recordSessions: false };
  const sink = (): ReturnType<typeof createHttpSink> =>
    createHttpSink({ url, writeKey, concurrency: 2, logger });

  const run = async (): Promise<void> => {
    const now = Date.now();
    const replay = new AbortController();
    const stopReplay = (): void => replay.abort();
    abort.signal.addEventListener('abort', stopReplay);
    const backfill = await runSimulation(
      {
        ...common,
        seed: options.seed,
        timing: 'historical',
        start: now - options.backfillHours * 3_600_000,
        days: options.backfillHours / 24,
        events: options.backfillEvents,
      },
      until(now, sink(), replay),
      { signal: replay.signal },
    );
    abort.signal.removeEventListener('abort', stopReplay);
    logger.info('demo_backfill_sent', { events: backfill.events, sessions: backfill.sessions });
    if (abort.signal.aborted) return;
    await runSimulation(
      {
        ...common,
        seed: options.seed + 1,
        timing: 'live',
        rate: options.liveRate,
        // The simulator's ceiling: at the live rate, many months.
        events: 1e9,
      },
      sink(),
      { signal: abort.signal },
    );
  };

  const done = run().catch((error: unknown) => {
    if (!abort.signal.aborted) {
      logger.error('demo_traffic_failed', { error: (error as Error).message });
    }
  });
  return {
    done,
    async stop() {
      abort.abort();
      await done;
    },
  };
}
