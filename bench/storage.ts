/**
 * ClickHouse writer throughput (QUALITY.md: clickhouse_rows_per_s >= 150k rows/s into the real
 * server, batches of 10k-100k, about one insert per second per table) and event-to-queryable
 * latency (queryable_p99_ms <= 2000 ms).
 *
 * - Throughput: pre-built events pushed through a TableWriter (row mapping, JSONEachRow,
 *   retries, backpressure: the whole write path) at batch sizes 10k, 50k and 100k, three runs
 *   each; the headline is the median at 50k. Sessions and scores (the tables feeding the
 *   per-minute materialized views) are measured beside it, and the same on embedded chdb as a
 *   peer, with the chdb/server ratio (QUALITY.md's hint: ~0.5).
 * - Queryable: a steady stream at ~40k events/s with default writer settings (1 s timer); a
 *   write resolves when ClickHouse acknowledged its rows, which are then visible to queries
 *   (checked), so the write's latency is the event's time to queryable.
 *
 * Assumes the services are up (`npm run services -- up clickhouse`); the server is
 * PATHCAST_TEST_CLICKHOUSE_URL, else http://127.0.0.1:18123.
 * Run: npm run bench -- storage   (writes bench/results/storage.json)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { ClickEvent, SessionOutput, SessionSummary } from '../src/core/index.js';
import {
  EVENTS_SPEC,
  SCORES_SPEC,
  SESSIONS_SPEC,
  TABLES,
  TableWriter,
  clickHouseInserter,
  connectClickHouse,
  migrate,
  qualifiedTable,
  sqlList,
  type ClickHouseHandle,
  type ScoreRecord,
  type TableSpec,
} from '../src/storage/index.js';
import { benchResult, median, percentile, type BenchResult } from './result.js';

const SERVER_URL = process.env['PATHCAST_TEST_CLICKHOUSE_URL'] || 'http://127.0.0.1:18123';
const BATCHES = [10_000, 50_000, 100_000] as const;
const HEADLINE_BATCH = 50_000;
const RUNS = 3;
const EVENT_ROWS = 300_000;
const CHDB_EVENT_ROWS = 150_000;
const OTHER_ROWS = 150_000;
/**
 * Items are built once per run and written over and over (ids repeat every POOL rows: insert
 * speed does not depend on them, and ReplacingMergeTree takes the repeats): the figure is the
 * writer's and the engine's, not the cost of building test events.
 */
const POOL = 20_000;

/** Chunks of the pool; the chunk size (5,000) divides POOL, so a slice never wraps. */
function fromPool<T>(pool: readonly T[]): (offset: number, count: number) => T[] {
  return (offset, count) => pool.slice(offset % pool.length, (offset % pool.length) + count);
}

const CHANNELS = ['Organic Search', 'Paid Search', 'Email', 'Direct', 'Referral', 'Organic Social'];
const PAGES = ['/', '/product/:id', '/category/:slug', '/cart', '/checkout', '/blog/:slug'];
const COUNTRIES = ['DE', 'FR', 'US', 'GB', 'NL', ''];
const DEVICES = ['desktop', 'mobile', 'tablet'] as const;

const pick = <T>(items: readonly T[], i: number): T => items[i % items.length] as T;

/** Events shaped like enriched traffic: ~40 columns, URLs, a UA family, a small JSON body. */
function makeEvents(count: number, start: number, runId: string, offset = 0): ClickEvent[] {
  return Array.from({ length: count }, (_, k) => {
    const i = offset + k;
    const page = pick(PAGES, i * 7);
    const conversion = i % 50 === 49;
    return {
      id: `${runId}-${i}`,
      site: 'bench.example',
      type: conversion ? 'track' : 'page',
      name: conversion ? 'Order Completed' : '',
      visitor: `anon-${i % 40_000}`,
      anonymousId: `anon-${i % 40_000}`,
      userId: i % 5 === 0 ? `user-${i % 9_000}` : null,
      previousId: null,
      groupId: null,
      timestamp: start + i * 3,
      receivedAt: start + i * 3 + 40,
      sentAt: start + i * 3 + 5,
      clockSkewMs: 35,
      futureClamped: false,
      url: `https://bench.example${page.replace(':id', String(i % 5000)).replace(':slug', 'shoes')}?utm_source=news`,
      path: page,
      referrer: i % 3 === 0 ? 'https://www.google.com/' : '',
      title: 'Bench page title',
      pageType: page,
      browser: 'Chrome',
      os: pick(['Windows', 'macOS', 'Android', 'iOS'], i),
      deviceType: pick(DEVICES, i),
      isBot: false,
      ipPrefix: '203.0.113.0',
      country: pick(COUNTRIES, i * 3),
      channel: pick(CHANNELS, i * 11),
      source: 'google',
      medium: 'organic',
      campaign: i % 4 === 0 ? 'spring-sale' : '',
      term: '',
      content: '',
      clickId: i % 9 === 0 ? 'gclid' : '',
      referrerClass: 'search',
      referrerDomain: 'google.com',
      isConversion: conversion,
      revenue: conversion ? 49.9 : 0,
      currency: conversion ? 'EUR' : '',
      properties: conversion ? '{"order_id":"o-1","total":49.9}' : '{"section":"bench"}',
      processorVersion: '0.1.0',
    };
  });
}

function makeSessions(count: number, start: number, runId: string): SessionOutput[] {
  const event = makeEvents(1, start, runId)[0] as ClickEvent;
  return Array.from({ length: count }, (_, i) => {
    const session: SessionSummary = {
      id: `${runId}-s${i >> 1}`,
      site: 'bench.example',
      visitor: `anon-${i % 40_000}`,
      userId: null,
      startedAt: start + (i >> 1) * 20,
      endedAt: start + (i >> 1) * 20 + 60_000,
      eventCount: 6,
      pageviewCount: 5,
      path: ['/', '/category/:slug', '/product/:id', '/cart', '/checkout'],
      entryChannel: pick(CHANNELS, i),
      entrySource: 'google',
      entryMedium: 'organic',
      entryCampaign: '',
      landingPage: '/',
      exitPage: '/checkout',
      deviceType: pick(DEVICES, i),
      country: pick(COUNTRIES, i),
      isBot: false,
      converted: i % 20 === 1,
      conversions: i % 20 === 1 ? 1 : 0,
      revenue: i % 20 === 1 ? 49.9 : 0,
      currency: 'EUR',
      version: 6 + (i & 1),
    };
    // Half updates, half closes: the view aggregates the closes.
    return i % 2 === 0
      ? { kind: 'closed', session, reason: 'gap', mergedInto: null }
      : { kind: 'update', session, event };
  });
}

function makeScores(count: number, start: number, runId: string): ScoreRecord[] {
  return Array.from({ length: count }, (_, i) => scoreAt(i, start, runId));
}

function scoreAt(i: number, start: number, runId: string): ScoreRecord {
  return {
    site: 'bench.example',
    visitor: `anon-${i % 40_000}`,
    sessionId: `${runId}-s${i % 30_000}`,
    at: start + i * 3,
    propensity: (i % 100) / 100,
    markovProbability: (i % 37) / 37,
    nextPages: [
      { pageType: '/cart', probability: 0.4 },
      { pageType: '/checkout', probability: 0.2 },
    ],
    modelVersion: 'm-1',
    channel: pick(CHANNELS, i),
    country: pick(COUNTRIES, i),
    deviceType: pick(DEVICES, i),
  };
}

/**
 * Writes `total` rows through a TableWriter as a pipeline would: chunks of 5,000, pausing while
 * the writer is full. Returns rows/s.
 */
async function timedWrite<T>(
  handle: ClickHouseHandle,
  spec: TableSpec<T>,
  make: (offset: number, count: number) => T[],
  total: number,
  batchRows: number,
): Promise<Rate> {
  const writer = new TableWriter(spec, { insert: clickHouseInserter(handle) }, { batchRows });
  const cpu = process.cpuUsage();
  const began = performance.now();
  const writes: Promise<void>[] = [];
  const chunk = 5_000;
  for (let i = 0; i < total; i += chunk) {
    if (writer.isFull()) await writer.whenWritable();
    writes.push(writer.write(make(i, Math.min(chunk, total - i))));
  }
  await writer.flush();
  await Promise.all(writes);
  const seconds = (performance.now() - began) / 1000;
  const used = process.cpuUsage(cpu);
  await writer.close();
  return { rowsPerS: total / seconds, cpuUsPerRow: (used.user + used.system) / total };
}

/**
 * Rows/s by the wall clock, and this process's CPU per row (all its threads: the writer's
 * mapping and encoding, GC, and for chdb the engine itself). The machine is shared, so the CPU
 * figure is the steadier one from run to run.
 */
interface Rate {
  readonly rowsPerS: number;
  readonly cpuUsPerRow: number;
}

function medianRate(rates: readonly Rate[]): Rate {
  return {
    rowsPerS: median(rates.map((r) => r.rowsPerS)),
    cpuUsPerRow: median(rates.map((r) => r.cpuUsPerRow)),
  };
}

interface EngineFigures {
  /** Median of RUNS, per batch size. */
  readonly events: Record<number, Rate>;
  readonly sessions: Rate;
  readonly scores: Rate;
}

async function measureEngine(handle: ClickHouseHandle, eventRows: number): Promise<EngineFigures> {
  await migrate(handle);
  const start = Date.UTC(2024, 4, 1);
  const events: Record<number, Rate> = {};
  for (const batch of BATCHES) {
    const rates: Rate[] = [];
    for (let run = 0; run < RUNS; run++) {
      const id = `${batch}-${run}-${randomBytes(3).toString('hex')}`;
      const pool = makeEvents(POOL, start, id);
      rates.push(await timedWrite(handle, EVENTS_SPEC, fromPool(pool), eventRows, batch));
    }
    events[batch] = medianRate(rates);
  }
  const sessionRates: Rate[] = [];
  const scoreRates: Rate[] = [];
  for (let run = 0; run < RUNS; run++) {
    const id = `r${run}-${randomBytes(3).toString('hex')}`;
    const sessions = fromPool(makeSessions(POOL, start, id));
    const scores = fromPool(makeScores(POOL, start, id));
    sessionRates.push(
      await timedWrite(handle, SESSIONS_SPEC, sessions, OTHER_ROWS, HEADLINE_BATCH),
    );
    scoreRates.push(await timedWrite(handle, SCORES_SPEC, scores, OTHER_ROWS, HEADLINE_BATCH));
  }
  return { events, sessions: medianRate(sessionRates), scores: medianRate(scoreRates) };
}

/**
 * Event-to-queryable latency under a steady stream: writes of 400 events every 10 ms, default
 * writer settings. Returns per-write latencies, ms.
 */
async function measureQueryable(handle: ClickHouseHandle): Promise<number[]> {
  const writer = new TableWriter(EVENTS_SPEC, { insert: clickHouseInserter(handle) });
  const latencies: number[] = [];
  const writes: Promise<void>[] = [];
  const runId = `q-${randomBytes(3).toString('hex')}`;
  const start = Date.now();
  let checked = false;
  for (let k = 0; k < 1_000; k++) {
    const chunk = makeEvents(400, start, runId, k * 400);
    const sent = performance.now();
    writes.push(
      writer.write(chunk).then(async () => {
        latencies.push(performance.now() - sent);
        if (!checked) {
          checked = true;
          // Acknowledged means visible: the first acknowledged chunk must be queryable now.
          const ids = chunk.slice(0, 50).map((e) => e.id);
          const result = await handle.client.query({
            query: `SELECT count() AS n FROM ${qualifiedTable(handle.database, TABLES.events)} WHERE id IN ${sqlList(ids)}`,
            format: 'JSONEachRow',
          });
          const [row] = await result.json<{ n: number }>();
          if (row?.n !== ids.length) throw new Error('acknowledged rows were not queryable');
        }
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await Promise.all(writes);
  await writer.close();
  return latencies;
}

const round = (n: number): number => Math.round(n);

function describeRate(rate: Rate): { rows_per_s: number; cpu_us_per_row: number } {
  return {
    rows_per_s: round(rate.rowsPerS),
    cpu_us_per_row: Math.round(rate.cpuUsPerRow * 100) / 100,
  };
}

function describeFigures(figures: EngineFigures): Record<string, unknown> {
  return {
    events_by_batch: Object.fromEntries(
      Object.entries(figures.events).map(([batch, rate]) => [batch, describeRate(rate)]),
    ),
    sessions_with_view: describeRate(figures.sessions),
    scores_with_view: describeRate(figures.scores),
  };
}

export async function run(): Promise<BenchResult> {
  const database = `pathcast_bench_${randomBytes(4).toString('hex')}`;
  const config = { user: 'default', password: '', database, caFile: undefined };
  const dir = mkdtempSync(join(tmpdir(), 'pathcast-bench-ch-'));
  const server = await connectClickHouse({ ...config, url: SERVER_URL }, dir);
  const embedded = await connectClickHouse({ ...config, url: undefined }, dir);
  try {
    const serverFigures = await measureEngine(server, EVENT_ROWS);
    const queryable = await measureQueryable(server);
    const chdbFigures = await measureEngine(embedded, CHDB_EVENT_ROWS);
    const headline = serverFigures.events[HEADLINE_BATCH]?.rowsPerS ?? NaN;
    const chdbHeadline = chdbFigures.events[HEADLINE_BATCH]?.rowsPerS ?? NaN;
    const headlineCpu = serverFigures.events[HEADLINE_BATCH]?.cpuUsPerRow ?? NaN;
    const versions = await Promise.all(
      [server, embedded].map(async (h) => {
        const result = await h.client.query({
          query: 'SELECT version() AS v',
          format: 'JSONEachRow',
        });
        return (await result.json<{ v: string }>())[0]?.v ?? '?';
      }),
    );
    return benchResult(
      'storage',
      {
        clickhouse_rows_per_s: {
          value: round(headline),
          unit: 'rows/s',
          target: 150_000,
          better: 'higher',
          note: `events table into the server, batches of ${HEADLINE_BATCH}, median of ${RUNS}`,
        },
        queryable_p99_ms: {
          value: round(percentile(queryable, 99)),
          unit: 'ms',
          target: 2000,
          better: 'lower',
          note: `write -> acknowledged (= queryable), ~40k events/s, 1 s flush timer; median ${round(median(queryable))} ms`,
        },
        clickhouse_writer_cpu_us_per_row: {
          value: Math.round(headlineCpu * 100) / 100,
          unit: 'us/row',
          better: 'lower',
          note: `writer process CPU per event row at ${HEADLINE_BATCH}-row batches (map, TSV encode, GC); ${round(1e6 / headlineCpu)} rows per CPU-second`,
        },
        chdb_rows_per_s: {
          value: round(chdbHeadline),
          unit: 'rows/s',
          better: 'higher',
          note: 'the same into embedded chdb (peer, same run)',
        },
        chdb_to_server_ratio: {
          value: Math.round((chdbHeadline / headline) * 100) / 100,
          unit: 'ratio',
          better: 'higher',
        },
      },
      {
        server_version: versions[0],
        chdb_version: versions[1],
        server: describeFigures(serverFigures),
        chdb: describeFigures(chdbFigures),
        load_average: loadavg().map((l) => Math.round(l * 100) / 100),
        rows: {
          server_events: EVENT_ROWS,
          chdb_events: CHDB_EVENT_ROWS,
          sessions_scores: OTHER_ROWS,
        },
      },
    );
  } finally {
    for (const handle of [server, embedded]) {
      try {
        await handle.client.command({ query: `DROP DATABASE IF EXISTS ${database}` });
      } catch (error) {
        console.error(`could not drop ${database} (${handle.engine}): ${(error as Error).message}`);
      }
      await handle.close();
    }
    rmSync(dir, { recursive: true, force: true });
  }
}
