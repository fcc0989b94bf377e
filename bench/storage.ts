/**
 * ClickHouse writer throughput (QUALITY.md: clickhouse_rows_per_s >= 150k rows/s into the real
 * server, batches of 10k-100k, about one insert per second per table) and event-to-queryable
 * latency (queryable_p99_ms <= 2000 ms), on the 18.16 server and on embedded chdb.
 *
 * - Per table: rows pushed through a TableWriter (row mapping, TSV encoding, retries,
 *   backpressure: the whole write path) into events, sessions, scores, failed_events,
 *   identities and crm_profiles, with the schema's materialized views active (sessions and
 *   scores feed the per-minute aggregates on every insert). Three runs each; medians.
 *   Events also at batch sizes 10k, 50k and 100k; the headline is events at 50k into the server.
 * - Queryable: a steady stream at ~40k events/s with default writer settings (1 s timer); a
 *   write resolves when ClickHouse acknowledged its rows, which are then visible to queries
 *   (checked), so the write's latency is the event's time to queryable.
 * - Writer profile (where the time goes): the client's CPU to map and encode a row, alone; and
 *   the server taking pre-encoded batches (no client work: network + server parse + parts).
 *   The slower of the two bounds the writer, which overlaps them (encodes the next batch while
 *   one is in flight), on a machine whose 2 cores the server and the writer share.
 *
 * Assumes the services are up (`npm run services -- up clickhouse`); the server is
 * PATHCAST_TEST_CLICKHOUSE_URL, else http://127.0.0.1:18123.
 * Run: npm run bench -- storage   (writes bench/results/storage.json)
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  EVENTS_SPEC,
  FAILED_EVENTS_SPEC,
  IDENTITIES_SPEC,
  PROFILES_SPEC,
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
  type TableSpec,
} from '../src/storage/index.js';
import { benchResult, median, percentile, type BenchResult, type Metric } from './result.js';
import {
  makeEvents,
  makeFailedEvents,
  makeIdentities,
  makeProfiles,
  makeScores,
  makeSessions,
} from './storage/rows.js';

const SERVER_URL = process.env['PATHCAST_TEST_CLICKHOUSE_URL'] || 'http://127.0.0.1:18123';
const BATCHES = [10_000, 50_000, 100_000] as const;
const HEADLINE_BATCH = 50_000;
const RUNS = 3;
/**
 * Items are built once per run and written over and over (ids repeat every POOL rows: insert
 * speed does not depend on them, and ReplacingMergeTree takes the repeats): the figure is the
 * writer's and the engine's, not the cost of building test items.
 */
const POOL = 20_000;
const START = Date.UTC(2024, 4, 1);

/** Rows written per run, by engine: chdb inserts run on this process's CPU, so fewer. */
const ROWS = {
  server: { events: 300_000, other: 150_000 },
  embedded: { events: 150_000, other: 100_000 },
} as const;

/** One table's measurement, its item type hidden behind the closure. */
interface TableBench {
  readonly table: string;
  /** Median rate of RUNS runs of `total` rows at `batchRows`. */
  rate(handle: ClickHouseHandle, total: number, batchRows: number): Promise<Rate>;
}

function tableBench<T>(
  spec: TableSpec<T>,
  make: (count: number, start: number, runId: string) => T[],
): TableBench {
  return {
    table: spec.table,
    async rate(handle, total, batchRows) {
      const rates: Rate[] = [];
      for (let run = 0; run < RUNS; run++) {
        const id = `${spec.table}-${batchRows}-${run}-${randomBytes(3).toString('hex')}`;
        const pool = fromPool(make(POOL, START, id));
        rates.push(await timedWrite(handle, spec, pool, total, batchRows));
      }
      return medianRate(rates);
    },
  };
}

/** Every table a pipeline writes continuously, in the order reported; events first. */
const EVENTS_BENCH = tableBench(EVENTS_SPEC, makeEvents);
const OTHER_BENCHES: readonly TableBench[] = [
  tableBench(SESSIONS_SPEC, makeSessions),
  tableBench(SCORES_SPEC, makeScores),
  tableBench(FAILED_EVENTS_SPEC, makeFailedEvents),
  tableBench(IDENTITIES_SPEC, makeIdentities),
  tableBench(PROFILES_SPEC, makeProfiles),
];

/** Chunks of the pool; the chunk size (5,000) divides POOL, so a slice never wraps. */
function fromPool<T>(pool: readonly T[]): (offset: number, count: number) => T[] {
  return (offset, count) => pool.slice(offset % pool.length, (offset % pool.length) + count);
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

/**
 * Writes `total` rows through a TableWriter as a pipeline would: chunks of 5,000, pausing while
 * the writer is full.
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

interface EngineFigures {
  /** Events at each batch size. */
  readonly eventsByBatch: Record<number, Rate>;
  /** Every table at HEADLINE_BATCH (events included). */
  readonly tables: Record<string, Rate>;
}

async function measureEngine(
  handle: ClickHouseHandle,
  rows: { readonly events: number; readonly other: number },
): Promise<EngineFigures> {
  await migrate(handle);
  const eventsByBatch: Record<number, Rate> = {};
  for (const batch of BATCHES) {
    eventsByBatch[batch] = await EVENTS_BENCH.rate(handle, rows.events, batch);
  }
  const tables: Record<string, Rate> = {
    [EVENTS_BENCH.table]: eventsByBatch[HEADLINE_BATCH] as Rate,
  };
  for (const bench of OTHER_BENCHES) {
    tables[bench.table] = await bench.rate(handle, rows.other, HEADLINE_BATCH);
  }
  return { eventsByBatch, tables };
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

interface WriterProfile {
  /** Client CPU to map and TSV-encode one event row through a TableWriter, alone (no I/O). */
  readonly encodeUsPerRow: number;
  /** The server taking pre-encoded event batches: no client work but sending bytes. */
  readonly preEncodedRowsPerS: number;
  readonly bytesPerRow: number;
}

/**
 * Splits the writer's cost into client work and server ingest (see the file comment). The client
 * side is a TableWriter whose insert discards the batch: mapping, encoding and the writer's own
 * bookkeeping, no I/O. Its batches are kept and then sent, as they are, to the server.
 */
async function profileWriter(handle: ClickHouseHandle): Promise<WriterProfile> {
  const pool = fromPool(makeEvents(POOL, START, `p-${randomBytes(3).toString('hex')}`));
  const encodeRuns: number[] = [];
  let batch: { body: readonly Buffer[]; rows: number } = { body: [], rows: 0 };
  for (let run = 0; run < RUNS; run++) {
    const writer = new TableWriter(
      EVENTS_SPEC,
      {
        insert: async ({ body, rows }) => {
          batch = { body, rows };
        },
      },
      { batchRows: HEADLINE_BATCH },
    );
    const total = 200_000;
    const cpu = process.cpuUsage();
    for (let i = 0; i < total; i += 5_000) {
      if (writer.isFull()) await writer.whenWritable();
      void writer.write(pool(i, 5_000));
    }
    await writer.flush();
    const used = process.cpuUsage(cpu);
    await writer.close();
    encodeRuns.push((used.user + used.system) / total);
  }
  const insert = clickHouseInserter(handle);
  const signal = new AbortController().signal;
  const insertRuns: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const began = performance.now();
    const inserts = 6;
    for (let k = 0; k < inserts; k++) {
      await insert({ table: TABLES.events, columns: EVENTS_SPEC.columns, ...batch, signal });
    }
    insertRuns.push((inserts * batch.rows) / ((performance.now() - began) / 1000));
  }
  return {
    encodeUsPerRow: median(encodeRuns),
    preEncodedRowsPerS: median(insertRuns),
    bytesPerRow: Buffer.concat(batch.body).length / batch.rows,
  };
}

const round = (n: number): number => Math.round(n);
const round2 = (n: number): number => Math.round(n * 100) / 100;

function describeRate(rate: Rate | undefined): { rows_per_s: number; cpu_us_per_row: number } {
  return {
    rows_per_s: round(rate?.rowsPerS ?? NaN),
    cpu_us_per_row: round2(rate?.cpuUsPerRow ?? NaN),
  };
}

function describeFigures(figures: EngineFigures): Record<string, unknown> {
  return {
    events_by_batch: Object.fromEntries(
      Object.entries(figures.eventsByBatch).map(([batch, rate]) => [batch, describeRate(rate)]),
    ),
    tables_at_headline_batch: Object.fromEntries(
      Object.entries(figures.tables).map(([table, rate]) => [table, describeRate(rate)]),
    ),
  };
}

/** One metric per table and engine: `<engine>_rows_per_s_<table>`. */
function perTableMetrics(engine: 'clickhouse' | 'chdb', figures: EngineFigures) {
  const metrics: Record<string, Metric> = {};
  for (const [table, rate] of Object.entries(figures.tables)) {
    metrics[`${engine}_rows_per_s_${table}`] = {
      value: round(rate.rowsPerS),
      unit: 'rows/s',
      better: 'higher',
      note: `${table} into ${engine === 'clickhouse' ? 'the 18.16 server' : 'embedded chdb'}, batches of ${HEADLINE_BATCH}, views active, median of ${RUNS}; ${round2(rate.cpuUsPerRow)} us CPU/row here`,
    };
  }
  return metrics;
}

/** The stage that limits the writer: whichever of encoding and server ingest is slower. */
function bottleneck(profile: WriterProfile, writerRate: number): string {
  const encodeRate = 1e6 / profile.encodeUsPerRow;
  const limit = encodeRate < profile.preEncodedRowsPerS ? 'client encoding' : 'server ingest';
  return (
    `${limit}: encoding alone ${round(encodeRate)} rows/s per core, the server alone ` +
    `${round(profile.preEncodedRowsPerS)} rows/s of pre-encoded ${round(profile.bytesPerRow)}-byte ` +
    `rows, the writer ${round(writerRate)} rows/s overlapping both on 2 shared cores`
  );
}

async function versionOf(handle: ClickHouseHandle): Promise<string> {
  const result = await handle.client.query({
    query: 'SELECT version() AS v',
    format: 'JSONEachRow',
  });
  return (await result.json<{ v: string }>())[0]?.v ?? '?';
}

export async function run(): Promise<BenchResult> {
  const database = `pathcast_bench_${randomBytes(4).toString('hex')}`;
  const config = { user: 'default', password: '', database, caFile: undefined };
  const dir = mkdtempSync(join(tmpdir(), 'pathcast-bench-ch-'));
  const server = await connectClickHouse({ ...config, url: SERVER_URL }, dir);
  const embedded = await connectClickHouse({ ...config, url: undefined }, dir);
  try {
    const serverFigures = await measureEngine(server, ROWS.server);
    const profile = await profileWriter(server);
    const queryable = await measureQueryable(server);
    const chdbFigures = await measureEngine(embedded, ROWS.embedded);
    const chdbQueryable = await measureQueryable(embedded);
    const headline = serverFigures.tables[TABLES.events] as Rate;
    const chdbHeadline = chdbFigures.tables[TABLES.events] as Rate;
    return benchResult(
      'storage',
      {
        clickhouse_rows_per_s: {
          value: round(headline.rowsPerS),
          unit: 'rows/s',
          target: 150_000,
          better: 'higher',
          note: `events table into the 18.16 server, batches of ${HEADLINE_BATCH}, median of ${RUNS}`,
        },
        queryable_p99_ms: {
          value: round(percentile(queryable, 99)),
          unit: 'ms',
          target: 2000,
          better: 'lower',
          note: `server: write -> acknowledged (= queryable), ~40k events/s, 1 s flush timer; median ${round(median(queryable))} ms`,
        },
        chdb_queryable_p99_ms: {
          value: round(percentile(chdbQueryable, 99)),
          unit: 'ms',
          target: 2000,
          better: 'lower',
          note: `the same into embedded chdb; median ${round(median(chdbQueryable))} ms`,
        },
        clickhouse_writer_cpu_us_per_row: {
          value: round2(headline.cpuUsPerRow),
          unit: 'us/row',
          better: 'lower',
          note: `writer process CPU per event row at ${HEADLINE_BATCH}-row batches (map, TSV encode, send, GC); ${round(1e6 / headline.cpuUsPerRow)} rows per CPU-second`,
        },
        writer_encode_us_per_row: {
          value: round2(profile.encodeUsPerRow),
          unit: 'us/row',
          better: 'lower',
          note: 'map + TSV-encode one event row, alone (no I/O)',
        },
        server_preencoded_rows_per_s: {
          value: round(profile.preEncodedRowsPerS),
          unit: 'rows/s',
          better: 'higher',
          note: `pre-encoded ${HEADLINE_BATCH}-row event batches sent one after another: the server's ingest alone`,
        },
        chdb_rows_per_s: {
          value: round(chdbHeadline.rowsPerS),
          unit: 'rows/s',
          better: 'higher',
          note: 'events into embedded chdb (peer, same run)',
        },
        chdb_to_server_ratio: {
          value: round2(chdbHeadline.rowsPerS / headline.rowsPerS),
          unit: 'ratio',
          better: 'higher',
        },
        ...perTableMetrics('clickhouse', serverFigures),
        ...perTableMetrics('chdb', chdbFigures),
      },
      {
        server_version: await versionOf(server),
        chdb_version: await versionOf(embedded),
        bottleneck: bottleneck(profile, headline.rowsPerS),
        server: describeFigures(serverFigures),
        chdb: describeFigures(chdbFigures),
        load_average: loadavg().map(round2),
        rows_per_run: ROWS,
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
