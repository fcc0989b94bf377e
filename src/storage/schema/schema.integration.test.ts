/**
 * The schema on both engines: migrations apply once, re-run harmlessly, finish a half-applied
 * step, refuse an edited one; every table has exactly the columns its writer names; retention
 * drops whole months and nothing else.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testServices } from '../../../test/services.js';
import { EVENTS_SPEC } from '../rows/event-row.js';
import { FAILED_EVENTS_SPEC } from '../rows/failed-event-row.js';
import { IDENTITIES_SPEC } from '../rows/identity-row.js';
import { MODELS_SPEC } from '../rows/model-row.js';
import { PROFILES_SPEC } from '../rows/profile-row.js';
import { SCORES_SPEC } from '../rows/score-row.js';
import { SESSIONS_SPEC } from '../rows/session-row.js';
import { qualifiedTable, sqlString } from '../sql.js';
import { openEnginePair, type EnginePair } from '../testing/engines.js';
import { makeEvent } from '../testing/fixtures.js';
import { createStorageWriters } from '../writer/storage-writers.js';
import { migrate } from './migrate.js';
import { MIGRATIONS } from './migrations.js';
import { dropPartitionsOlderThan } from './retention.js';
import { TABLES } from './table-names.js';

let engines: EnginePair;

beforeAll(async () => {
  // Not migrated: the first test does it.
  engines = await openEnginePair(testServices().clickhouseUrl, 'pathcast_it_schema', {
    migrate: false,
  });
});

afterAll(async () => {
  await engines?.close();
});

async function rows<T>(handle: EnginePair['server'], query: string): Promise<T[]> {
  return (await handle.client.query({ query, format: 'JSONEachRow' })).json<T>();
}

describe.each(['server', 'embedded'] as const)('%s', (engine) => {
  const handle = (): EnginePair['server'] => engines[engine];

  it('applies every migration once, records it, and re-runs as a no-op', async () => {
    // Half-applied step 1 (statements ran, record missing): the migrator finishes it.
    for (const statement of MIGRATIONS[0]?.statements(engines.database) ?? []) {
      await handle().client.command({ query: statement });
    }
    const first = await migrate(handle());
    expect(first.applied).toEqual(MIGRATIONS.map((m) => m.version));
    const second = await migrate(handle());
    expect(second).toEqual({ applied: [], skipped: MIGRATIONS.map((m) => m.version) });
    const recorded = await rows<{ version: number }>(
      handle(),
      `SELECT version FROM ${qualifiedTable(engines.database, TABLES.migrations)} FINAL ORDER BY version`,
    );
    expect(recorded.map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version));
  });

  it('refuses to run when an applied migration was edited', async () => {
    const edited = MIGRATIONS.map((m, i) =>
      i === 0 ? { ...m, statements: (db: string) => [...m.statements(db), 'SELECT 1'] } : m,
    );
    await expect(migrate(handle(), { migrations: edited })).rejects.toMatchObject({
      code: 'migration_changed',
    });
  });

  it.each(
    [
      EVENTS_SPEC,
      SESSIONS_SPEC,
      SCORES_SPEC,
      FAILED_EVENTS_SPEC,
      PROFILES_SPEC,
      IDENTITIES_SPEC,
      MODELS_SPEC,
    ].map((spec) => [spec.table, spec] as const),
  )('%s has exactly the columns its writer names', async (table, spec) => {
    // 18.16's system.columns has no `position`; both list columns in declaration order.
    const columns = await rows<{ name: string }>(
      handle(),
      `SELECT name FROM system.columns WHERE database = ${sqlString(engines.database)}
          AND table = ${sqlString(table)}`,
    );
    expect(columns.map((c) => c.name)).toEqual([...spec.columns]);
  });

  it('retention drops the months entirely older than the age, and only those', async () => {
    const at = (y: number, m: number, d: number): number => Date.UTC(y, m - 1, d, 12);
    const times = [at(2020, 1, 5), at(2024, 1, 31), at(2024, 2, 1), at(2024, 3, 10)];
    const writers = createStorageWriters(handle(), { all: { flushIntervalMs: 10 } });
    await writers.events.write(
      times.map((timestamp, i) => makeEvent({ id: `ret-${i}`, timestamp })),
    );
    await writers.failedEvents.write([
      {
        id: 'ret-f',
        site: 's',
        reason: 'late',
        message: '',
        stage: 'sessionizer',
        processorVersion: '',
        size: 0,
        payload: '',
        failedAt: at(2020, 1, 5),
        topic: '',
        partition: -1,
        offset: -1,
      },
    ]);
    await writers.close();

    // Now 2024-03-15, keep 30 days: the cutoff is Feb 14th, so January 2024 (ends Feb 1st) goes,
    // February (ends Mar 1st) stays although its first days are older than 30 days.
    const dropped = await dropPartitionsOlderThan(handle(), 30, { now: () => at(2024, 3, 15) });
    expect(dropped).toEqual([
      { table: TABLES.events, partitionId: '202001' },
      { table: TABLES.events, partitionId: '202401' },
      { table: TABLES.failedEvents, partitionId: '202001' },
    ]);
    const left = await rows<{ id: string }>(
      handle(),
      `SELECT id FROM ${qualifiedTable(engines.database, TABLES.events)} ORDER BY id`,
    );
    expect(left.map((r) => r.id)).toEqual(['ret-2', 'ret-3']);
    // Again: nothing more to drop.
    expect(await dropPartitionsOlderThan(handle(), 30, { now: () => at(2024, 3, 15) })).toEqual([]);
  });
});
