/**
 * One SQL dialect, two engines: the same tables, rows and queries on the real ClickHouse server
 * (Debian's 18.16 here) and on embedded chdb (26.x) must give the same answers, and the answers
 * the test computes itself. This pins down the portable subset DESIGN.md describes.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClickHouseConfig } from '../src/config/index.js';
import { connectClickHouse, type ClickHouseHandle } from '../src/storage/index.js';
import { testServices } from './services.js';

const DAY_MS = 86_400_000;
const BASE_TS = Date.UTC(2024, 0, 1, 21, 0, 0);

/** Strings that break naive quoting or encoding; each must come back byte for byte. */
const HOSTILE = [
  "it's",
  'say "hi"',
  'back\\slash',
  'ends with a backslash\\',
  "\\'; DROP TABLE events; --",
  "' UNION SELECT 1 --",
  'tab\tnew\nline\rreturn',
  'ünïcödé',
  '😀 astral plane',
  '中文 / עברית',
  'zero\u200bwidth',
  '%_like_%',
  '{"json": [1, "two"]}',
  '<xml attr="1">&amp;</xml>',
  '\u0001\u001f control',
  'nul\u0000byte',
  '',
  ' ',
  'x'.repeat(10_000),
];

const SITES = ['shop.example', "o'reilly\\site"];
const VISITORS = Array.from({ length: 23 }, (_, i) =>
  i % 5 === 0 ? `v${i}-${HOSTILE[i % HOSTILE.length]}` : `v${i}`,
);

interface EventRow {
  event_id: string;
  site: string;
  visitor: string;
  ts: number;
  duration_ms: number;
  page: string;
  'props.key': string[];
  'props.value': string[];
}

interface ProfileRow {
  visitor: string;
  email: string;
  plan: string;
  version: number;
}

const at = <T>(items: readonly T[], i: number): T => items[i % items.length] as T;

function makeEvents(count: number): EventRow[] {
  return Array.from({ length: count }, (_, i) => {
    const props = Array.from({ length: i % 4 }, (_, j) => j);
    return {
      event_id: `e-${String(i).padStart(5, '0')}`,
      site: at(SITES, i % 7 === 0 ? 1 : 0),
      visitor: at(VISITORS, i * 7),
      // ~17 minutes apart: 300 events cross three day boundaries (three partitions).
      ts: BASE_TS + i * 997_000,
      duration_ms: (i * 37) % 5000,
      page: at(HOSTILE, i),
      'props.key': props.map((j) => at(['utm_source', 'ref', at(HOSTILE, i + j)], j)),
      'props.value': props.map((j) => at(HOSTILE, i * 3 + j)),
    };
  });
}

const EVENTS = makeEvents(300);
const PROFILES_V1: ProfileRow[] = VISITORS.map((visitor) => ({
  visitor,
  email: `${visitor}@example.com`,
  plan: 'free',
  version: 1,
}));
const PROFILES_LATER: ProfileRow[] = [
  // Newer versions for every third visitor: these win.
  ...VISITORS.filter((_, i) => i % 3 === 0).map((visitor) => ({
    visitor,
    email: `new-${visitor}@example.com`,
    plan: "pro 'annual'",
    version: 2,
  })),
  // An older version arriving late must lose; an exact duplicate changes nothing.
  { visitor: at(VISITORS, 1), email: 'stale@example.com', plan: 'stale', version: 0 },
  at(PROFILES_V1, 2),
];

/** ClickHouse orders String by bytes; JavaScript's default sort by UTF-16 units differs. */
const byBytes = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));

function compareBy<T>(...keys: ((row: T) => string | number)[]): (a: T, b: T) => number {
  return (a, b) => {
    for (const key of keys) {
      const x = key(a);
      const y = key(b);
      const c =
        typeof x === 'string' && typeof y === 'string' ? byBytes(x, y) : Number(x) - Number(y);
      if (c !== 0) return c;
    }
    return 0;
  };
}

function schema(db: string): string[] {
  return [
    // Ms timestamps as UInt64, Nested for properties, custom partitioning key (18.16 has it).
    `CREATE TABLE ${db}.events (
      event_id String,
      site String,
      visitor String,
      ts UInt64,
      duration_ms UInt32,
      page String,
      props Nested(key String, value String)
    ) ENGINE = MergeTree() PARTITION BY intDiv(ts, ${DAY_MS}) ORDER BY (site, visitor, ts, event_id)`,
    `CREATE TABLE ${db}.profiles (
      visitor String,
      email String,
      plan String,
      version UInt64
    ) ENGINE = ReplacingMergeTree(version) ORDER BY visitor`,
    `CREATE TABLE ${db}.daily_stats (
      site String,
      day UInt64,
      events AggregateFunction(count),
      duration_sum AggregateFunction(sum, UInt32),
      duration_avg AggregateFunction(avg, UInt32),
      visitors AggregateFunction(uniqExact, String)
    ) ENGINE = AggregatingMergeTree() PARTITION BY tuple() ORDER BY (site, day)`,
    `CREATE MATERIALIZED VIEW ${db}.daily_stats_mv TO ${db}.daily_stats AS
      SELECT
        site,
        intDiv(ts, ${DAY_MS}) AS day,
        countState() AS events,
        sumState(duration_ms) AS duration_sum,
        avgState(duration_ms) AS duration_avg,
        uniqExactState(visitor) AS visitors
      FROM ${db}.events
      GROUP BY site, day`,
  ];
}

const EVENT_COLUMNS: [string, ...string[]] = [
  'event_id',
  'site',
  'visitor',
  'ts',
  'duration_ms',
  'page',
  'props.key',
  'props.value',
];
const PROFILE_COLUMNS: [string, ...string[]] = ['visitor', 'email', 'plan', 'version'];

async function load(handle: ClickHouseHandle, db: string): Promise<void> {
  for (const statement of schema(db)) await handle.client.command({ query: statement });
  // Two inserts per table: two parts, so reads must merge (FINAL, -Merge) to be right.
  for (const rows of [EVENTS.slice(0, 150), EVENTS.slice(150)]) {
    await handle.client.insert({
      table: `${db}.events`,
      values: rows,
      format: 'JSONEachRow',
      columns: EVENT_COLUMNS,
    });
  }
  for (const rows of [PROFILES_V1, PROFILES_LATER]) {
    await handle.client.insert({
      table: `${db}.profiles`,
      values: rows,
      format: 'JSONEachRow',
      columns: PROFILE_COLUMNS,
    });
  }
}

async function rows<T>(handle: ClickHouseHandle, query: string): Promise<T[]> {
  const result = await handle.client.query({ query, format: 'JSONEachRow' });
  return result.json<T>();
}

/** Each query, and what it must return computed from the rows inserted. */
function cases(db: string) {
  const visitorsSummary = [...new Set(EVENTS.map((e) => e.visitor))]
    .sort(byBytes)
    .map((visitor) => {
      const mine = EVENTS.filter((e) => e.visitor === visitor);
      return {
        visitor,
        events: mine.length,
        first_ts: Math.min(...mine.map((e) => e.ts)),
        last_ts: Math.max(...mine.map((e) => e.ts)),
      };
    });

  const propCounts = new Map<string, { k: string; v: string; n: number }>();
  for (const e of EVENTS) {
    e['props.key'].forEach((k, i) => {
      const v = e['props.value'][i] as string;
      const id = JSON.stringify([k, v]);
      const entry = propCounts.get(id) ?? { k, v, n: 0 };
      entry.n += 1;
      propCounts.set(id, entry);
    });
  }

  const latest = new Map<string, ProfileRow>();
  for (const p of [...PROFILES_V1, ...PROFILES_LATER]) {
    const current = latest.get(p.visitor);
    if (current === undefined || p.version > current.version) latest.set(p.visitor, p);
  }
  const profiles = [...latest.values()].sort(compareBy((p) => p.visitor));

  const daily = new Map<
    string,
    { site: string; day: number; durations: number[]; visitors: Set<string> }
  >();
  for (const e of EVENTS) {
    const day = Math.floor(e.ts / DAY_MS);
    const id = JSON.stringify([e.site, day]);
    const entry = daily.get(id) ?? { site: e.site, day, durations: [], visitors: new Set() };
    entry.durations.push(e.duration_ms);
    entry.visitors.add(e.visitor);
    daily.set(id, entry);
  }
  const stats = [...daily.values()]
    .map((d) => {
      const sum = d.durations.reduce((a, b) => a + b, 0);
      return {
        site: d.site,
        day: d.day,
        events: d.durations.length,
        duration_sum: sum,
        duration_avg: round6(sum / d.durations.length),
        visitors: d.visitors.size,
      };
    })
    .sort(
      compareBy(
        (s) => s.site,
        (s) => s.day,
      ),
    );

  return {
    'rows come back verbatim (hostile strings, Nested columns)': {
      query: `SELECT event_id, site, visitor, ts, duration_ms, page,
          props.key AS prop_keys, props.value AS prop_values
        FROM ${db}.events ORDER BY event_id`,
      expected: EVENTS.map(({ 'props.key': prop_keys, 'props.value': prop_values, ...e }) => ({
        ...e,
        prop_keys,
        prop_values,
      })),
    },
    'GROUP BY over String keys, ordered by bytes': {
      query: `SELECT visitor, count() AS events, min(ts) AS first_ts, max(ts) AS last_ts
        FROM ${db}.events GROUP BY visitor ORDER BY visitor`,
      expected: visitorsSummary,
    },
    'ARRAY JOIN over the Nested column': {
      query: `SELECT props.key AS k, props.value AS v, count() AS n
        FROM ${db}.events ARRAY JOIN props GROUP BY k, v ORDER BY k, v`,
      expected: [...propCounts.values()].sort(
        compareBy(
          (p) => p.k,
          (p) => p.v,
        ),
      ),
    },
    'ReplacingMergeTree read with FINAL keeps the highest version': {
      query: `SELECT visitor, email, plan, version FROM ${db}.profiles FINAL ORDER BY visitor`,
      expected: profiles,
    },
    'argMax dedupe gives the same rows as FINAL': {
      // TRICKY (18.16): `max(version) AS version` would shadow the column inside
      // argMax(email, version) ("aggregate function found inside another aggregate function"):
      // the old analyzer substitutes an alias everywhere in the query. Alias to a new name.
      query: `SELECT visitor, argMax(email, version) AS latest_email,
          argMax(plan, version) AS latest_plan, max(version) AS latest_version
        FROM ${db}.profiles GROUP BY visitor ORDER BY visitor`,
      expected: profiles.map((p) => ({
        visitor: p.visitor,
        latest_email: p.email,
        latest_plan: p.plan,
        latest_version: p.version,
      })),
    },
    'AggregatingMergeTree fed by a materialized view, read with -Merge': {
      query: `SELECT site, day, countMerge(events) AS events, sumMerge(duration_sum) AS duration_sum,
          avgMerge(duration_avg) AS duration_avg, uniqExactMerge(visitors) AS visitors
        FROM ${db}.daily_stats GROUP BY site, day ORDER BY site, day`,
      expected: stats,
      // avg is a Float64: engines may differ in the last bits, so compare rounded.
      normalise: (row: Record<string, unknown>) => ({
        ...row,
        duration_avg: round6(row['duration_avg'] as number),
      }),
    },
  } satisfies Record<
    string,
    {
      query: string;
      expected: unknown[];
      normalise?: (row: Record<string, unknown>) => Record<string, unknown>;
    }
  >;
}

function round6(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}

describe('ClickHouse: the same SQL on the server and on embedded chdb', () => {
  const database = `pathcast_it_${randomBytes(6).toString('hex')}`;
  const config = (url: string | undefined): ClickHouseConfig => ({
    url,
    user: 'default',
    password: '',
    database,
    caFile: undefined,
  });
  // chdb: one data directory per process, and vitest runs each test file in its own process.
  const chdbDir = mkdtempSync(join(tmpdir(), 'pathcast-chdb-it-'));
  const engines: { name: string; handle: ClickHouseHandle }[] = [];

  beforeAll(async () => {
    engines.push({
      name: 'server',
      handle: await connectClickHouse(config(testServices().clickhouseUrl), chdbDir),
    });
    engines.push({ name: 'embedded', handle: await connectClickHouse(config(undefined), chdbDir) });
    for (const { handle } of engines) await load(handle, database);
  });

  afterAll(async () => {
    for (const { handle } of engines) {
      await handle.client.command({ query: `DROP DATABASE IF EXISTS ${database}` });
      await handle.close();
    }
    rmSync(chdbDir, { recursive: true, force: true });
  });

  it('runs on the engines it claims to', async () => {
    const [server, embedded] = engines.map((e) => e.handle);
    expect(server?.engine).toBe('server');
    expect(embedded?.engine).toBe('embedded');
    const version = async (h: ClickHouseHandle | undefined): Promise<string> =>
      (await rows<{ v: string }>(h as ClickHouseHandle, 'SELECT version() AS v'))[0]?.v ?? '';
    // Not a requirement on versions: a record, in the test output, of what was compared.
    console.info(`server ${await version(server)}, chdb ${await version(embedded)}`);
  });

  // TRICKY: JSON.stringify writes a lone surrogate as "\ud800", which both engines refuse as
  // JSON input: writers must send well-formed strings (String.prototype.toWellFormed() in
  // Node 20, which our ES2023 lib typings do not declare; the regex below does the same).
  it('refuses lone UTF-16 surrogates on both engines; well-formed strings store', async () => {
    const wellFormed = (s: string): string => s.replace(/\p{Surrogate}/gu, '\ufffd');
    for (const { handle } of engines) {
      const table = `${database}.surrogates`;
      await handle.client.command({
        query: `CREATE TABLE ${table} (i UInt64, s String) ENGINE = MergeTree() ORDER BY i`,
      });
      const insert = (s: string): Promise<unknown> =>
        handle.client.insert({
          table,
          values: [{ i: 1, s }],
          format: 'JSONEachRow',
          columns: ['i', 's'],
        });
      await expect(insert('lone \ud800 surrogate')).rejects.toThrow(/surrogate/);
      await insert(wellFormed('lone \ud800 surrogate'));
      expect(await rows<{ s: string }>(handle, `SELECT s FROM ${table}`)).toEqual([
        { s: 'lone \ufffd surrogate' },
      ]);
    }
  });

  for (const [name, { query, expected, ...rest }] of Object.entries(cases(database))) {
    it(name, async () => {
      const normalise =
        'normalise' in rest ? rest.normalise : (row: Record<string, unknown>) => row;
      const results = await Promise.all(
        engines.map(async (e) =>
          (await rows<Record<string, unknown>>(e.handle, query)).map(normalise),
        ),
      );
      const [server, embedded] = results;
      expect(server).toEqual(expected);
      expect(embedded).toEqual(server);
    });
  }
});
