/**
 * The retention schedule on both engines (the 18.16 server and chdb): a run drops the months
 * entirely older than each setting's age, in its own tables only, keeps every newer row, leaves
 * the per-minute aggregates alone, and the next run finds nothing more to drop.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testServices } from '../../test/services.js';
import { MemoryLogger, ManualClock } from '../core/index.js';
import type { ClickHouseHandle } from './clickhouse.js';
import { RetentionScheduler } from './retention-scheduler.js';
import { TABLES } from './schema/table-names.js';
import { qualifiedTable, sqlString } from './sql.js';
import { openEnginePair, type EnginePair } from './testing/engines.js';
import { buildHistory, type History } from './testing/fixtures.js';
import { createStorageWriters } from './writer/storage-writers.js';

/** The fixture runs from Jan 30th to Feb 2nd 2024: it straddles a partition boundary. */
const FEBRUARY = Date.UTC(2024, 1, 1);
/** With 30 days kept, the cutoff is Feb 9th: January (ends Feb 1st) goes, February stays. */
const NOW = Date.UTC(2024, 2, 10);

let engines: EnginePair;
const history: History = buildHistory();
/** The fixture's failures all fall in January; one in February shows that it stays. */
const failures = [
  ...history.failures,
  ...history.failures.slice(0, 2).map((f, i) => ({
    ...f,
    id: `february-${i}`,
    failedAt: FEBRUARY + (i + 1) * 3_600_000,
  })),
];

beforeAll(async () => {
  engines = await openEnginePair(testServices().clickhouseUrl, 'pathcast_it_retention');
  for (const { handle } of engines.both) {
    const writers = createStorageWriters(handle, { all: { flushIntervalMs: 10 } });
    await Promise.all([
      writers.events.write(history.events),
      writers.sessions.write(history.sessionOutputs),
      writers.scores.write(history.scores),
      writers.failedEvents.write(failures),
    ]);
    await writers.close();
  }
}, 60_000);

afterAll(async () => {
  await engines?.close();
});

async function one<T>(handle: ClickHouseHandle, query: string): Promise<T> {
  const rows = await (await handle.client.query({ query, format: 'JSONEachRow' })).json<T>();
  if (rows[0] === undefined) throw new Error(`no row from ${query}`);
  return rows[0];
}

/** Distinct ids before and from February in `table`, by its time column. */
async function idsByMonth(
  handle: ClickHouseHandle,
  table: string,
  id: string,
  time: string,
): Promise<{ january: number; february: number }> {
  return one(
    handle,
    `SELECT uniqExactIf(${id}, ${time} < ${FEBRUARY}) AS january,
            uniqExactIf(${id}, ${time} >= ${FEBRUARY}) AS february
     FROM ${qualifiedTable(engines.database, table)}`,
  );
}

const uniqueBy = <T>(items: readonly T[], key: (item: T) => string): number =>
  new Set(items.map(key)).size;

const split = <T>(items: readonly T[], time: (item: T) => number, key: (item: T) => string) => ({
  january: uniqueBy(
    items.filter((i) => time(i) < FEBRUARY),
    key,
  ),
  february: uniqueBy(
    items.filter((i) => time(i) >= FEBRUARY),
    key,
  ),
});

describe.each(['server', 'embedded'] as const)('retention schedule on %s', (engine) => {
  const handle = (): ClickHouseHandle => (engine === 'server' ? engines.server : engines.embedded);
  const expected = {
    events: split(
      history.events,
      (e) => e.timestamp,
      (e) => e.id,
    ),
    scores: split(
      history.scores,
      (s) => s.at,
      (s) => `${s.sessionId}/${s.at}`,
    ),
    failed: split(
      failures,
      (f) => f.failedAt,
      (f) => f.id,
    ),
  };

  it('has data on both sides of the boundary to begin with', async () => {
    // Guards the test itself: a fixture that stopped straddling the month would prove nothing.
    for (const split of Object.values(expected)) {
      expect(split.january).toBeGreaterThan(0);
      expect(split.february).toBeGreaterThan(0);
    }
    expect(await idsByMonth(handle(), TABLES.events, 'id', 'timestamp')).toEqual(expected.events);
  });

  it('drops the old months of events, sessions and scores; failed events keep their own age', async () => {
    const aggregatesBefore = await one<{ n: number }>(
      handle(),
      `SELECT count() AS n FROM ${qualifiedTable(engines.database, TABLES.minuteAggregates)}
       WHERE minute < ${FEBRUARY}`,
    );
    expect(aggregatesBefore.n).toBeGreaterThan(0);
    const sessionsBefore = await idsByMonth(handle(), TABLES.sessions, 'id', 'started_at');
    expect(sessionsBefore.january).toBeGreaterThan(0);

    const logger = new MemoryLogger();
    const scheduler = new RetentionScheduler(
      handle(),
      // Failed events kept for a year: none of them is old enough yet.
      { days: 30, failedEventsDays: 365 },
      { clock: new ManualClock(NOW), logger },
    );
    const run = await scheduler.runNow();
    await scheduler.close();

    expect(run.failed).toEqual([]);
    expect([...run.dropped].sort((a, b) => a.table.localeCompare(b.table))).toEqual([
      { table: TABLES.events, partitionId: '202401' },
      { table: TABLES.scores, partitionId: '202401' },
      { table: TABLES.sessions, partitionId: '202401' },
    ]);
    expect(logger.lines.filter((l) => l.event === 'clickhouse_partition_dropped')).toHaveLength(3);

    expect(await idsByMonth(handle(), TABLES.events, 'id', 'timestamp')).toEqual({
      january: 0,
      february: expected.events.february,
    });
    expect(
      await idsByMonth(handle(), TABLES.scores, "concat(session_id, '/', toString(at))", 'at'),
    ).toEqual({ january: 0, february: expected.scores.february });
    expect(await idsByMonth(handle(), TABLES.sessions, 'id', 'started_at')).toEqual({
      january: 0,
      february: sessionsBefore.february,
    });
    expect(await idsByMonth(handle(), TABLES.failedEvents, 'id', 'failed_at')).toEqual(
      expected.failed,
    );
    // The per-minute aggregates outlive the raw rows.
    expect(
      await one<{ n: number }>(
        handle(),
        `SELECT count() AS n FROM ${qualifiedTable(engines.database, TABLES.minuteAggregates)}
         WHERE minute < ${FEBRUARY}`,
      ),
    ).toEqual(aggregatesBefore);
  });

  it('then drops old failed events under their own setting, and nothing twice', async () => {
    const scheduler = new RetentionScheduler(
      handle(),
      { days: 30, failedEventsDays: 30 },
      { clock: new ManualClock(NOW) },
    );
    const run = await scheduler.runNow();
    await scheduler.close();
    expect(run).toEqual({
      dropped: [{ table: TABLES.failedEvents, partitionId: '202401' }],
      failed: [],
    });
    expect(await idsByMonth(handle(), TABLES.failedEvents, 'id', 'failed_at')).toEqual({
      january: 0,
      february: expected.failed.february,
    });
    const parts = await one<{ months: string[] }>(
      handle(),
      `SELECT groupUniqArray(partition_id) AS months FROM system.parts
       WHERE database = ${sqlString(engines.database)} AND active = 1
         AND table IN ('events', 'sessions', 'scores', 'failed_events')`,
    );
    expect(parts.months).toEqual(['202402']);
  });
});
