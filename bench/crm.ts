/**
 * CRM benchmark (issue 4, item 7): profile cache lookups per second at a 95% hit rate against
 * the real PostgreSQL source, and CSV import rows per second into PostgreSQL.
 *
 * - Import: a 100k-row CSV (11 columns) through `importProfileFile` into a fresh table, 3 times;
 *   the median rows/s.
 * - Lookups: a cache (100k entries) in front of that table. Each lookup is a hot user (already
 *   cached) with probability 0.95, else a user never asked for before, so exactly 5% go to
 *   PostgreSQL. Lookups come in chunks of 1,000, as events come in batches; the misses of a
 *   chunk are batched into one `WHERE user_id = ANY($1)` query.
 *   `crm_lookups_per_s` is the sessionizer's path: synchronous peek(), the chunk's query runs
 *   in the background while the next chunks are looked up (the pipeline yields to the event
 *   loop between batches), and the round ends when every query has answered and its profiles
 *   are cached. `crm_get_lookups_per_s` is the awaited get(): each chunk waits for its query
 *   before the next starts, so it includes one database round trip per chunk. A plain Map over
 *   the same ids is measured in the same run as the ceiling.
 *
 * Needs PostgreSQL (`npm run services -- up postgres`); PATHCAST_TEST_POSTGRES_URL, default
 * postgres://pathcast@127.0.0.1:15432/pathcast. Run: npm run bench -- crm
 */
import { mulberry32 } from '../src/core/index.js';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import pg from 'pg';
import { PostgresProfileStore, ProfileCache, importProfileFile } from '../src/crm/index.js';
import { benchResult, median, type BenchResult } from './result.js';

const POSTGRES_URL =
  process.env['PATHCAST_TEST_POSTGRES_URL'] ?? 'postgres://pathcast@127.0.0.1:15432/pathcast';
const IMPORT_ROWS = 100_000;
const IMPORT_RUNS = 3;
const HOT_USERS = 10_000;
const HIT_RATE = 0.95;
const CHUNK = 1_000;
const PEEK_ROUNDS = 5;
const PEEK_LOOKUPS = 200_000;
const GET_ROUNDS = 3;
const GET_LOOKUPS = 100_000;

const userId = (i: number): string => `user-${String(i).padStart(7, '0')}`;

function csv(rows: number): string {
  const lines = [
    'user_id,email,segment,lifetime_value,orders,first_order_at,last_order_at,tenure_days,churned,site,plan',
  ];
  const segments = ['new', 'regular', 'vip'];
  for (let i = 0; i < rows; i++) {
    const first = Date.UTC(2018, 0, 1) + (i % 2_000) * 86_400_000;
    lines.push(
      [
        userId(i),
        `customer.${i}@example.com`,
        segments[i % 3],
        ((i % 5_000) * 1.37).toFixed(2),
        i % 40,
        new Date(first).toISOString(),
        new Date(first + (i % 300) * 86_400_000).toISOString().slice(0, 10),
        i % 3_000,
        i % 7 === 0 ? 'yes' : 'no',
        'shop',
        `"plan ""${i % 4}"", monthly"`,
      ].join(','),
    );
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Lookup ids for one round: a hot user with probability HIT_RATE, else the next never-seen user.
 * Built before the clock starts, so string building and the random draws are not measured.
 */
function lookups(count: number, random: () => number, cold: { next: number }): string[] {
  const ids = new Array<string>(count);
  for (let i = 0; i < count; i++) {
    ids[i] = random() < HIT_RATE ? userId(Math.floor(random() * HOT_USERS)) : userId(cold.next++);
  }
  return ids;
}

export async function run(): Promise<BenchResult> {
  const dir = await mkdtemp(join(tmpdir(), 'pathcast-bench-crm-'));
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  const tables: string[] = [];
  try {
    const file = join(dir, 'profiles.csv');
    await writeFile(file, csv(IMPORT_ROWS), 'utf8');

    const importRates: number[] = [];
    let store: PostgresProfileStore | undefined;
    for (let r = 0; r < IMPORT_RUNS; r++) {
      await store?.close();
      const table = `crm_bench_${randomBytes(4).toString('hex')}`;
      tables.push(table);
      store = new PostgresProfileStore({ url: POSTGRES_URL, table });
      await store.start();
      const summary = await importProfileFile(file, store, { format: 'csv' });
      if (summary.imported !== IMPORT_ROWS) {
        throw new Error(`import wrote ${summary.imported} of ${IMPORT_ROWS} rows`);
      }
      importRates.push(summary.rowsPerSecond);
    }
    if (store === undefined) throw new Error('no import ran');

    const cache = new ProfileCache({ maxEntries: 100_000 }, { source: store });
    const random = mulberry32(20_240_611);
    const cold = { next: HOT_USERS };
    // Warm-up: the hot users are cached, as after a few minutes of traffic.
    for (let i = 0; i < HOT_USERS; i += CHUNK) {
      await Promise.all(
        Array.from({ length: Math.min(CHUNK, HOT_USERS - i) }, (_, k) => cache.get(userId(i + k))),
      );
    }

    const peekRates: number[] = [];
    const before = cache.stats();
    for (let round = 0; round < PEEK_ROUNDS; round++) {
      const ids = lookups(PEEK_LOOKUPS, random, cold);
      const started = performance.now();
      for (let start = 0; start < ids.length; start += CHUNK) {
        const end = Math.min(ids.length, start + CHUNK);
        for (let i = start; i < end; i++) cache.peek(ids[i] as string);
        // Between batches of events the pipeline yields; the chunk's query goes out then.
        await yieldToEventLoop();
      }
      await cache.whenIdle();
      peekRates.push((ids.length * 1000) / (performance.now() - started));
    }
    const afterPeek = cache.stats();

    const getRates: number[] = [];
    for (let round = 0; round < GET_ROUNDS; round++) {
      const ids = lookups(GET_LOOKUPS, random, cold);
      const started = performance.now();
      for (let start = 0; start < ids.length; start += CHUNK) {
        await Promise.all(ids.slice(start, start + CHUNK).map((id) => cache.get(id)));
      }
      getRates.push((ids.length * 1000) / (performance.now() - started));
    }
    const afterGet = cache.stats();
    if (cold.next > IMPORT_ROWS) throw new Error('ran out of never-seen users; import more rows');

    // The ceiling: the same lookup pattern against a plain Map holding every profile.
    const map = new Map<string, unknown>();
    for (let i = 0; i < IMPORT_ROWS; i++) map.set(userId(i), { i });
    const mapRates: number[] = [];
    for (let round = 0; round < PEEK_ROUNDS; round++) {
      const ids = lookups(PEEK_LOOKUPS, random, { next: HOT_USERS });
      let found = 0;
      const started = performance.now();
      for (const id of ids) if (map.get(id) !== undefined) found += 1;
      mapRates.push((ids.length * 1000) / (performance.now() - started));
      if (found !== ids.length) throw new Error('map lookup missed');
    }
    await cache.close();
    await store.close();

    const peekHits = afterPeek.hits - before.hits;
    const peekMisses = afterPeek.misses - before.misses;
    const peekFetches = afterPeek.fetches - before.fetches;
    const peekRate = median(peekRates);
    const mapRate = median(mapRates);
    return benchResult(
      'crm',
      {
        crm_lookups_per_s: {
          value: Math.round(peekRate),
          unit: 'lookups/s',
          better: 'higher',
          note:
            `peek() at a measured ${(peekHits / (peekHits + peekMisses)).toFixed(4)} hit rate, ` +
            `misses batched (${(peekMisses / peekFetches).toFixed(1)} users per query, chunks of ` +
            `${CHUNK}) and all fetched and cached within the time; ` +
            `a plain Map: ${Math.round(mapRate)}/s (ratio ${(peekRate / mapRate).toFixed(2)})`,
        },
        crm_get_lookups_per_s: {
          value: Math.round(median(getRates)),
          unit: 'lookups/s',
          better: 'higher',
          note: `awaited get(), Promise.all per chunk of ${CHUNK}, one query round trip per chunk, 95% hits`,
        },
        crm_import_rows_per_s: {
          value: Math.round(median(importRates)),
          unit: 'rows/s',
          better: 'higher',
          note: `${IMPORT_ROWS} CSV rows (11 columns) parsed, validated and upserted into PostgreSQL`,
        },
      },
      {
        importRowsPerSecond: importRates.map(Math.round),
        peekLookupsPerSecond: peekRates.map(Math.round),
        getLookupsPerSecond: getRates.map(Math.round),
        mapLookupsPerSecond: mapRates.map(Math.round),
        peek: { hits: peekHits, misses: peekMisses, queries: peekFetches },
        get: {
          hits: afterGet.hits - afterPeek.hits,
          misses: afterGet.misses - afterPeek.misses,
          queries: afterGet.fetches - afterPeek.fetches,
        },
        cacheEntries: afterGet.entries,
      },
    );
  } finally {
    for (const table of tables) await admin.query(`DROP TABLE IF EXISTS "${table}"`);
    await admin.end();
    await rm(dir, { recursive: true, force: true });
  }
}
