import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ManualClock, MemoryLogger } from '../core/index.js';
import { RetentionScheduler, type DropOlderThan } from './retention-scheduler.js';
import type { MigrationTarget } from './schema/migrate.js';
import type { PartitionRef, RetentionOptions } from './schema/retention.js';

// The schedule only: the drops themselves run on both engines in the integration test.
const target = { client: {}, database: 'db' } as unknown as MigrationTarget;
const DAY = 86_400_000;
const NOW = Date.UTC(2024, 5, 15);

interface Call {
  readonly days: number;
  readonly tables: readonly string[];
  readonly now: number;
}

/** A drop that records its calls and answers from `answer` (default: drops nothing). */
function fakeDrop(
  answer: (call: Call) => Promise<PartitionRef[]> = async () => [],
): DropOlderThan & { calls: Call[] } {
  const calls: Call[] = [];
  const drop = (_target: MigrationTarget, days: number, options: RetentionOptions) => {
    const call = { days, tables: options.tables ?? [], now: options.now?.() ?? NaN };
    calls.push(call);
    return answer(call);
  };
  return Object.assign(drop, { calls });
}

/** A promise the test settles by hand. */
function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((res) => (resolve = res));
  return { promise, resolve };
}

describe('RetentionScheduler', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('runs at start with each setting on its own tables, then daily after each run', async () => {
    const drop = fakeDrop(async (call) =>
      call.tables.includes('events') ? [{ table: 'events', partitionId: '202401' }] : [],
    );
    const logger = new MemoryLogger();
    const scheduler = new RetentionScheduler(
      target,
      { days: 90, failedEventsDays: 7 },
      { drop, logger, clock: new ManualClock(NOW) },
    );
    await scheduler.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(drop.calls).toEqual([
      { days: 90, tables: ['events', 'sessions', 'scores'], now: NOW },
      { days: 7, tables: ['failed_events'], now: NOW },
    ]);
    const summary = logger.lines.find((l) => l.event === 'retention_run');
    expect(summary?.fields).toMatchObject({ dropped: ['events/202401'], failed: 0 });

    await vi.advanceTimersByTimeAsync(DAY - 1);
    expect(drop.calls).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(drop.calls).toHaveLength(4);
    await scheduler.close();
    await vi.advanceTimersByTimeAsync(5 * DAY);
    expect(drop.calls).toHaveLength(4);
  });

  it('skips a setting of 0, and schedules nothing when both are 0', async () => {
    const onlyFailed = fakeDrop();
    const a = new RetentionScheduler(
      target,
      { days: 0, failedEventsDays: 14 },
      { drop: onlyFailed },
    );
    await a.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(onlyFailed.calls.map((c) => [c.days, c.tables])).toEqual([[14, ['failed_events']]]);
    await a.close();

    const none = fakeDrop();
    const logger = new MemoryLogger();
    const b = new RetentionScheduler(
      target,
      { days: 0, failedEventsDays: 0 },
      { drop: none, logger },
    );
    expect(b.enabled).toBe(false);
    await b.start();
    await vi.advanceTimersByTimeAsync(3 * DAY);
    expect(none.calls).toEqual([]);
    expect(logger.lines.map((l) => l.event)).toEqual(['retention_off']);
    await b.close();
  });

  it('never overlaps: a run asked for while one is in progress joins it', async () => {
    const gate = deferred<PartitionRef[]>();
    const drop = fakeDrop(() => gate.promise);
    const scheduler = new RetentionScheduler(
      target,
      { days: 30, failedEventsDays: 0 },
      { drop, intervalMs: 1_000 },
    );
    await scheduler.start();
    const joined = scheduler.runNow();
    // The timer would be due several times over while the drop hangs: still one run.
    await vi.advanceTimersByTimeAsync(10_000);
    expect(drop.calls).toHaveLength(1);
    gate.resolve([{ table: 'sessions', partitionId: '202312' }]);
    expect(await joined).toEqual({
      dropped: [{ table: 'sessions', partitionId: '202312' }],
      failed: [],
    });
    // The next run comes a full interval after the end of this one.
    await vi.advanceTimersByTimeAsync(999);
    expect(drop.calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(drop.calls).toHaveLength(2);
    await scheduler.close();
  });

  it('logs a failure instead of throwing, goes on with the other tables and tries again', async () => {
    let failing = true;
    const drop = fakeDrop(async (call) => {
      if (failing && call.tables.includes('events')) throw new Error('Connection refused');
      return [];
    });
    const logger = new MemoryLogger();
    const scheduler = new RetentionScheduler(
      target,
      { days: 30, failedEventsDays: 30 },
      { drop, logger, intervalMs: 60_000 },
    );
    const run = await scheduler.runNow();
    expect(run.dropped).toEqual([]);
    expect(run.failed).toEqual([
      { tables: ['events', 'sessions', 'scores'], error: 'Connection refused' },
    ]);
    expect(drop.calls.map((c) => c.tables[0])).toEqual(['events', 'failed_events']);
    const line = logger.lines.find((l) => l.event === 'retention_failed');
    expect(line?.level).toBe('error');
    expect(line?.fields).toMatchObject({ days: 30, tables: ['events', 'sessions', 'scores'] });

    failing = false;
    await vi.advanceTimersByTimeAsync(60_000);
    expect(drop.calls).toHaveLength(4);
    await scheduler.close();
  });

  it('close waits for the run in progress and stops the schedule; twice is fine', async () => {
    const gate = deferred<PartitionRef[]>();
    const drop = fakeDrop(() => gate.promise);
    const scheduler = new RetentionScheduler(
      target,
      { days: 30, failedEventsDays: 0 },
      { drop, intervalMs: 1_000 },
    );
    await scheduler.start();
    let closed = false;
    const closing = scheduler.close().then(() => (closed = true));
    await vi.advanceTimersByTimeAsync(0);
    expect(closed).toBe(false);
    gate.resolve([]);
    await closing;
    await scheduler.close();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(drop.calls).toHaveLength(1);
  });
});
