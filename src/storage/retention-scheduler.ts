import {
  counter,
  silentLogger,
  systemClock,
  toError,
  type Clock,
  type Lifecycle,
  type Logger,
} from '../core/index.js';
import type { RetentionConfig } from '../config/index.js';
import type { MigrationTarget } from './schema/migrate.js';
import {
  dropPartitionsOlderThan,
  type PartitionRef,
  type RetentionOptions,
} from './schema/retention.js';
import { TABLES, type TableName } from './schema/table-names.js';

const DAY_MS = 86_400_000;

/**
 * Which tables each retention setting covers. The per-minute aggregates are in neither: they are
 * what dashboards read once the raw rows are gone, and they are small.
 */
export const RETENTION_GROUPS = [
  { setting: 'days', tables: [TABLES.events, TABLES.sessions, TABLES.scores] },
  { setting: 'failedEventsDays', tables: [TABLES.failedEvents] },
] as const satisfies readonly {
  readonly setting: keyof RetentionConfig;
  readonly tables: readonly TableName[];
}[];

/** Drops what is older than `days` in `options.tables`; dropPartitionsOlderThan by default. */
export type DropOlderThan = (
  target: MigrationTarget,
  days: number,
  options: RetentionOptions,
) => Promise<PartitionRef[]>;

export interface RetentionSchedulerOptions {
  /** Time between the end of one run and the start of the next, ms. Default one day. */
  readonly intervalMs?: number;
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** Seam for tests. */
  readonly drop?: DropOlderThan;
}

/** What one run did: the partitions dropped, and the tables whose drop failed. */
export interface RetentionRun {
  readonly dropped: readonly PartitionRef[];
  readonly failed: readonly { readonly tables: readonly string[]; readonly error: string }[];
}

const partitionsDropped = counter(
  'pathcast_retention_partitions_dropped_total',
  'Monthly partitions dropped by the retention schedule, by table',
  ['table'],
);
const retentionFailures = counter(
  'pathcast_retention_failures_total',
  'Retention runs (per group of tables) that failed; the next run tries again',
);

/**
 * Applies the configured retention: once at start, then every `intervalMs` (a day) after the
 * previous run ended, so two runs never overlap. Failures are logged and counted, never thrown:
 * retention must not take the process down, and the next run catches up (dropping is
 * idempotent). With both settings 0 nothing is scheduled.
 *
 * NOTE: every process of a consumer group runs its own schedule. That is harmless: a partition
 * another process dropped a moment ago is simply not listed any more, and a drop that races
 * with another is logged as a failure and retried on the next run.
 */
export class RetentionScheduler implements Lifecycle {
  private readonly target: MigrationTarget;
  private readonly config: RetentionConfig;
  private readonly intervalMs: number;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly drop: DropOlderThan;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<RetentionRun> | undefined;
  private closed = false;

  constructor(
    target: MigrationTarget,
    config: RetentionConfig,
    options: RetentionSchedulerOptions = {},
  ) {
    this.target = target;
    this.config = config;
    this.intervalMs = options.intervalMs ?? DAY_MS;
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger;
    this.drop = options.drop ?? dropPartitionsOlderThan;
  }

  /** True when some setting is not 0 (keep forever). */
  get enabled(): boolean {
    return RETENTION_GROUPS.some((group) => this.config[group.setting] > 0);
  }

  /** Starts the first run without waiting for it; later runs follow on the timer. */
  start(): Promise<void> {
    if (this.closed || this.running !== undefined || this.timer !== undefined) {
      return Promise.resolve();
    }
    if (!this.enabled) {
      this.logger.info('retention_off', { reason: 'PATHCAST_*RETENTION_DAYS are 0: keep forever' });
      return Promise.resolve();
    }
    this.logger.info('retention_scheduled', {
      days: this.config.days,
      failed_events_days: this.config.failedEventsDays,
      interval_ms: this.intervalMs,
    });
    void this.runNow();
    return Promise.resolve();
  }

  /**
   * Runs retention now, or joins the run in progress (runs never overlap). Never rejects: the
   * failures are in the result and in the log.
   */
  runNow(): Promise<RetentionRun> {
    if (this.running !== undefined) return this.running;
    this.clearTimer();
    const run = this.runGroups().finally(() => {
      this.running = undefined;
      this.scheduleNext();
    });
    this.running = run;
    return run;
  }

  /** Stops the schedule and waits for a run in progress. Safe to call twice. */
  async close(): Promise<void> {
    this.closed = true;
    this.clearTimer();
    if (this.running !== undefined) await this.running;
  }

  private async runGroups(): Promise<RetentionRun> {
    const dropped: PartitionRef[] = [];
    const failed: { tables: readonly string[]; error: string }[] = [];
    const now = this.clock.now();
    for (const group of RETENTION_GROUPS) {
      const days = this.config[group.setting];
      if (days === 0) continue;
      try {
        const parts = await this.drop(this.target, days, {
          tables: group.tables,
          now: () => now,
          logger: this.logger,
        });
        for (const part of parts) partitionsDropped.inc({ table: part.table });
        dropped.push(...parts);
      } catch (error) {
        const message = toError(error).message;
        retentionFailures.inc();
        failed.push({ tables: group.tables, error: message });
        this.logger.error('retention_failed', { tables: group.tables, days, err: toError(error) });
      }
    }
    this.logger.info('retention_run', {
      dropped: dropped.map((p) => `${p.table}/${p.partitionId}`),
      failed: failed.length,
    });
    return { dropped, failed };
  }

  private scheduleNext(): void {
    if (this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.runNow();
    }, this.intervalMs);
    // The schedule alone must not keep the process alive.
    this.timer.unref();
  }

  private clearTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
